using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.Addons;
using CapiCiliumAddon.Rendering.Manifests;
using CapiCiliumAddon.Rendering.Output;
using CapiCiliumAddon.Rendering.Planning;

namespace CapiCiliumAddon.Rendering.Pipeline.Stamping;

/// <summary>
/// A group's finished files (what the GitOps writer writes: the ConfigMap/Secret/ClusterResourceSet YAML with our
/// header, and the kustomization), made ONCE by running the whole post-processing on the group's placeholder render for
/// a placeholder Cluster, with a slot wherever a Cluster's own text goes. Stamping a Cluster into them costs a string
/// copy instead of a parse, checks and a rebuild (a few hundred microseconds instead of ~10 ms).
/// </summary>
/// <remarks>
/// <para>What differs between the finished files of a group's Clusters, and how each is handled:</para>
/// <list type="bullet">
/// <item>the facts (endpoint, pod CIDRs, cluster.name) inside the chart objects and the Helm values file, the
/// namespace, the Cluster's name in our object names, labels and file names, the selector label value, and the
/// input-hash and values-hash annotations: slots, found by searching the finished files for each placeholder. A
/// Cluster's stamped values file must equal the one its plan makes, whose hash fills the values-hash slot;</item>
/// <item>the name of the 1.19+ certificate Job (a hash of its spec, which holds cluster.name): a slot filled with the
/// name the CLI-level template derives per Cluster. It can sit in a ConfigMap data key, so a Cluster whose derived
/// name would change the sorted order of the keys is not stamped here;</item>
/// <item>YAML quoting, which depends on a value's shape: outside the literal blocks that hold the chart objects, a
/// value is stamped only when it is in the same text class as its placeholder (same first-character class, both
/// with or both without characters that force quoting, not a word YAML reads as a boolean or null), so every scalar
/// holding it is written the same way; every value is limited to characters that need no escaping in YAML or JSON;</item>
/// <item>base64 in Secrets: a fact inside a Secret would be invisible to the search, but then the sample Cluster's
/// files differ from the stamped ones and no finished stamp is made;</item>
/// <item>ConfigMap/Secret parts, whose split depends on sizes: only a render that fits in one part of each kind is
/// stamped here, and only while each Cluster's part stays below a quarter of the limit in both serialisations, far
/// from any splitting decision;</item>
/// <item>problems: the placeholder render and the sample must finish without any problem of their own, and each
/// Cluster's names must pass the same identity rules as a direct render.</item>
/// </list>
/// <para>The group's sample Cluster, rendered directly, must equal its stamped files byte for byte. Per Cluster, its
/// plan must expect exactly the facts stamped into it and otherwise what the sample's plan expects (routing mode,
/// kube-proxy replacement, IPAM, chart version, the annotations but the input hash). A Cluster that does not qualify
/// is finished the slower way (its stamped CLI text parsed, checked and built), never guessed.</para>
/// </remarks>
public sealed partial class FinishedStamp
{
    public const string PlaceholderNamespace = "stamp-namespace-h4k8m2w6";
    public const string PlaceholderClusterName = "stamp-cluster-p3t7v1x5";
    public const string PlaceholderSelectorValue = "stamp-selector-b6d0f4j8";
    public const string PlaceholderInputHash = "sha256:e32f83b5851ab30a58a89c723f2ab50d23b0dd32002f2dd66b137472f046e5c0";

    private const string NamespaceSlot = "namespace";
    private const string ClusterNameSlot = "cluster name";
    private const string SelectorSlot = "selector label value";
    private const string InputHashSlot = "input hash";
    private const string ValuesHashSlot = "values hash";
    private const string ContentNameSlotPrefix = "content name ";

    /// <summary>
    /// A part may grow to 1/this of the limit before a Cluster is finished the slower way. The packer's running estimate
    /// of a part is at most the empty part plus, per entry, the larger of its YAML and JSON sizes plus one, so it stays
    /// below half the limit plus the empty part and the entry count: a part this small is never split.
    /// </summary>
    private const int PartSizeDivisor = 4;

    private readonly IReadOnlyList<FileTemplate> _files;
    private readonly IReadOnlyDictionary<string, string> _placeholders;
    private readonly IReadOnlySet<string> _scalarSlots;
    private readonly RenderPlan _sample;
    private readonly ExpectedRender _sampleExpectation;
    private readonly AddonLimits _limits;

    private FinishedStamp(IReadOnlyList<FileTemplate> files, IReadOnlyDictionary<string, string> placeholders, IReadOnlySet<string> scalarSlots,
        RenderPlan sample, ExpectedRender sampleExpectation, AddonLimits limits)
    {
        _files = files;
        _placeholders = placeholders;
        _scalarSlots = scalarSlots;
        _sample = sample;
        _sampleExpectation = sampleExpectation;
        _limits = limits;
    }

    /// <summary>How many places each slot is stamped into, over all files (names included).</summary>
    public IReadOnlyDictionary<string, int> SlotCounts =>
        _files.SelectMany(f => f.Name.Slots.Concat(f.Content.Slots)).GroupBy(s => s.Key)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <param name="template">The group's CLI-level template, already checked against the sample.</param>
    /// <param name="templateText">The CLI's output for the placeholder facts.</param>
    /// <param name="shapes">The stamped facts' shapes (Helm key → shape).</param>
    /// <param name="sample">The group's sample plan, rendered directly into <paramref name="sampleResult"/>.</param>
    /// <param name="sampleFacts">The sample's facts as stamped (Helm key → text).</param>
    /// <param name="sampleContentNames">The sample's content-derived names (template name → stamped name).</param>
    public static FinishedStamp? Create(StampTemplate template, string templateText, IReadOnlyDictionary<string, string> shapes,
        RenderPlan sample, IReadOnlyDictionary<string, string> sampleFacts, IReadOnlyDictionary<string, string> sampleContentNames,
        ClusterResult sampleResult, AddonLimits limits, out string? whyNot)
    {
        if (sampleResult.State != ClusterState.Rendered || sampleResult.Files is not { } sampleFiles || !sampleResult.Problems.SequenceEqual(sample.Warnings))
        {
            whyNot = "the sample's direct render did not finish without problems of its own";
            return null;
        }

        var placeholderPlan = StampingRenderer.TemplatePlan(sample, shapes) with
        {
            Cluster = sample.Cluster with { Namespace = PlaceholderNamespace, Name = PlaceholderClusterName },
            SelectorLabel = new(sample.SelectorLabel.Key, PlaceholderSelectorValue),
            InputHash = PlaceholderInputHash,
        };
        var finished = AddonRenderPipeline.Finish(placeholderPlan, templateText, [], limits);
        if (finished.State != ClusterState.Rendered || finished.Problems.Count > 0)
        {
            whyNot = $"finishing the placeholder render reported: {string.Join("; ", finished.Problems)}";
            return null;
        }

        var objects = finished.Objects!.Objects;
        if (objects.Count(o => o.Kind == "ConfigMap") > 1 || objects.Count(o => o.Kind == "Secret") > 1)
        {
            whyNot = "the render is split into several ConfigMap or Secret parts, and where it splits depends on each Cluster's sizes";
            return null;
        }

        var placeholders = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [NamespaceSlot] = PlaceholderNamespace,
            [ClusterNameSlot] = PlaceholderClusterName,
            [SelectorSlot] = PlaceholderSelectorValue,
            [InputHashSlot] = PlaceholderInputHash,
            [ValuesHashSlot] = placeholderPlan.HelmValuesFile.Hash,
        };
        foreach (var (key, shape) in shapes)
        {
            placeholders[key] = StampableFacts.PlaceholderText(shape);
        }

        foreach (var name in template.ContentNamedObjects)
        {
            placeholders[ContentNameSlotPrefix + name] = name;
        }

        var files = new List<FileTemplate>();
        var scalarSlots = new HashSet<string>(StringComparer.Ordinal);
        var fileTexts = ManifestTree.Files(finished.Objects);
        for (var i = 0; i < fileTexts.Count; i++)
        {
            var (fileName, content) = fileTexts[i];
            var nameTemplate = SlotText.Find(fileName, placeholders, literalBlocks: [], scalarSlots, out whyNot);
            var contentTemplate = nameTemplate is null ? null : SlotText.Find(content, placeholders, LiteralBlocks(content), scalarSlots, out whyNot);
            if (nameTemplate is null || contentTemplate is null)
            {
                return null;
            }

            var obj = i < objects.Count ? objects[i] : null;
            var isPart = obj is { ApiVersion: "v1", Kind: "ConfigMap" or "Secret" };
            var dataKeys = obj?.Json["data"]?.AsObject().Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList() ?? [];
            files.Add(new FileTemplate(nameTemplate, contentTemplate, isPart, isPart ? Encoding.UTF8.GetByteCount(obj!.Json.ToJsonString()) : 0,
                Encoding.UTF8.GetByteCount(ManifestTree.Header), dataKeys));
        }

        var stamp = new FinishedStamp(files, placeholders, scalarSlots, sample,
            WithoutFacts(AddonRenderPipeline.Expected(sample, ChartVersionOf(sample)), shapes.Keys), limits);
        var missing = placeholders.Keys.Where(k => !stamp.SlotCounts.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            // Every fact is in the chart objects and every name in our objects: a slot not found means the finished
            // files hold it in a form the search cannot see (transformed, encoded).
            whyNot = $"no place in the finished files holds {string.Join(", ", missing)}";
            return null;
        }

        var stamped = stamp.TryStamp(sample, sampleFacts, sampleContentNames, out whyNot);
        if (stamped is null)
        {
            whyNot = $"the sample {sample.Cluster.Key} cannot be stamped: {whyNot}";
            return null;
        }

        for (var i = 0; i < Math.Max(stamped.Count, sampleFiles.Count); i++)
        {
            var expected = i < sampleFiles.Count ? sampleFiles[i] : default;
            var actual = i < stamped.Count ? stamped[i] : default;
            if (expected.Key != actual.Key || !string.Equals(expected.Value, actual.Value, StringComparison.Ordinal))
            {
                whyNot = $"the stamped file {actual.Key ?? "(none)"} of {sample.Cluster.Key} differs from its direct render's {expected.Key ?? "(none)"} at " +
                    StampTemplate.FirstDifference(expected.Value ?? "", actual.Value ?? "");
                return null;
            }
        }

        whyNot = null;
        return stamp;
    }

    /// <summary>
    /// The files for <paramref name="plan"/>, a member of this group, stamped with its facts; or null, with the reason,
    /// when the Cluster does not qualify (it is then finished from its stamped CLI text instead).
    /// </summary>
    /// <param name="facts">The Cluster's facts as stamped (Helm key → text); the same keys as the group's.</param>
    /// <param name="contentNames">The Cluster's content-derived names from the CLI-level template.</param>
    public IReadOnlyList<KeyValuePair<string, string>>? TryStamp(RenderPlan plan, IReadOnlyDictionary<string, string> facts,
        IReadOnlyDictionary<string, string> contentNames, out string? whyNot)
    {
        whyNot = CheckPlan(plan, facts);
        if (whyNot is not null)
        {
            return null;
        }

        var valuesFile = plan.HelmValuesFile;
        var values = new Dictionary<string, string>(facts, StringComparer.Ordinal)
        {
            [NamespaceSlot] = plan.Cluster.Namespace,
            [ClusterNameSlot] = plan.Cluster.Name,
            [SelectorSlot] = plan.SelectorLabel.Value,
            [InputHashSlot] = plan.InputHash,
            [ValuesHashSlot] = valuesFile.Hash,
        };
        foreach (var (name, stampedName) in contentNames)
        {
            values[ContentNameSlotPrefix + name] = stampedName;
        }

        foreach (var (key, placeholder) in _placeholders)
        {
            if (!values.TryGetValue(key, out var value))
            {
                whyNot = $"no value for {key}";
                return null;
            }

            if (!OnlyPlainCharacters(value))
            {
                whyNot = $"{key} '{value}' has characters YAML or JSON would escape";
                return null;
            }

            if (_scalarSlots.Contains(key) && !SameScalarClass(placeholder, value))
            {
                whyNot = $"{key} '{value}' would be quoted differently from its placeholder '{placeholder}'";
                return null;
            }
        }

        var files = new List<KeyValuePair<string, string>>(_files.Count);
        foreach (var file in _files)
        {
            var content = file.Content.Stamp(values, out var growth);
            if (file.IsPart)
            {
                var yamlBytes = Encoding.UTF8.GetByteCount(content) - file.HeaderBytes;
                var jsonBytes = file.JsonBytes + growth;
                var ceiling = _limits.MaxConfigMapBytes / PartSizeDivisor;
                if (yamlBytes > ceiling || jsonBytes > ceiling)
                {
                    whyNot = $"its part {file.Name.Text} would be {Math.Max(yamlBytes, jsonBytes)} bytes, too close to the limit of {_limits.MaxConfigMapBytes} to skip the splitting";
                    return null;
                }

                if (!StillSorted(file.DataKeys, values))
                {
                    whyNot = $"its content-derived names change the order of the data keys of {file.Name.Text}";
                    return null;
                }
            }

            var name = file.Name.Stamp(values, out _);
            if (name == Settings.HelmValuesFile.FileName && !string.Equals(content, ManifestTree.ValuesFileContent(valuesFile), StringComparison.Ordinal))
            {
                whyNot = "its stamped values file differs from the one its plan makes";
                return null;
            }

            files.Add(new(name, content));
        }

        return files;
    }

    /// <summary>The plan must expect exactly the facts stamped, and otherwise what the group's sample expects.</summary>
    private string? CheckPlan(RenderPlan plan, IReadOnlyDictionary<string, string> facts)
    {
        var expected = AddonRenderPipeline.Expected(plan, ChartVersionOf(plan));
        foreach (var (key, text) in facts)
        {
            var planned = key switch
            {
                StampableFacts.Host => expected.K8sServiceHost,
                StampableFacts.Port => expected.K8sServicePort.ToString(CultureInfo.InvariantCulture),
                StampableFacts.Ipv4Cidr => expected.Ipv4NativeRoutingCidr,
                StampableFacts.Ipv6Cidr => expected.Ipv6NativeRoutingCidr,
                StampableFacts.Name => expected.ClusterName,
                _ => null,
            };
            if (planned != text)
            {
                return $"its plan expects {key}={planned ?? "(nothing)"}, not the stamped {text}";
            }
        }

        if (WithoutFacts(expected, facts.Keys) != _sampleExpectation)
        {
            return "its plan expects other values than the group's sample besides its facts";
        }

        if (plan.SelectorLabel.Key != _sample.SelectorLabel.Key)
        {
            return $"its selector label is {plan.SelectorLabel.Key}, the group's is {_sample.SelectorLabel.Key}";
        }

        if (!plan.GroupAnnotations.SequenceEqual(_sample.GroupAnnotations))
        {
            return "its provenance annotations differ from the group's";
        }

        var identityProblems = new List<Problem>();
        AddonObjectsBuilder.ValidateIdentity(new AddonIdentity(plan.Cluster.Namespace, plan.Cluster.Name, plan.SelectorLabel), plan.Cluster.Key, identityProblems);
        return identityProblems.Count > 0 ? "its names break a naming rule (the direct path reports it)" : null;
    }

    private bool StillSorted(IReadOnlyList<string> sortedKeys, IReadOnlyDictionary<string, string> values)
    {
        if (!sortedKeys.Any(k => _placeholders.Any(p => p.Key.StartsWith(ContentNameSlotPrefix, StringComparison.Ordinal) && k.Contains(p.Value, StringComparison.Ordinal))))
        {
            return true;
        }

        string Stamped(string key)
        {
            foreach (var (slot, placeholder) in _placeholders)
            {
                if (slot.StartsWith(ContentNameSlotPrefix, StringComparison.Ordinal))
                {
                    key = key.Replace(placeholder, values[slot], StringComparison.Ordinal);
                }
            }

            return key;
        }

        for (var i = 1; i < sortedKeys.Count; i++)
        {
            if (string.CompareOrdinal(Stamped(sortedKeys[i - 1]), Stamped(sortedKeys[i])) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    private static string ChartVersionOf(RenderPlan plan) => (plan.Chart?.Version ?? plan.Version).ToString();

    private static ExpectedRender WithoutFacts(ExpectedRender expected, IEnumerable<string> factKeys)
    {
        foreach (var key in factKeys)
        {
            expected = key switch
            {
                StampableFacts.Host => expected with { K8sServiceHost = "" },
                StampableFacts.Port => expected with { K8sServicePort = 0 },
                StampableFacts.Ipv4Cidr => expected with { Ipv4NativeRoutingCidr = null },
                StampableFacts.Ipv6Cidr => expected with { Ipv6NativeRoutingCidr = null },
                StampableFacts.Name => expected with { ClusterName = "" },
                _ => expected,
            };
        }

        return expected;
    }

    /// <summary>Letters, digits and <c>- . _ / :</c>: nothing YAML (plain, quoted or literal) or JSON would escape.</summary>
    internal static bool OnlyPlainCharacters(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '/' or ':'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// True when any YAML scalar holding <paramref name="placeholder"/> is written exactly as it would be with
    /// <paramref name="value"/> in its place: both plain or both double-quoted (<see cref="KubeYamlWriter.IsPlain"/>);
    /// <see cref="OnlyPlainCharacters"/> already rules out anything a quoted scalar would escape.
    /// </summary>
    internal static bool SameScalarClass(string placeholder, string value) =>
        KubeYamlWriter.IsPlain(value) == KubeYamlWriter.IsPlain(placeholder);

    /// <summary>[start, end) of the content of every literal block scalar (<c>key: |</c>, <c>|-</c>, <c>|+</c>, <c>|2-</c>) in our YAML.</summary>
    internal static IReadOnlyList<(int Start, int End)> LiteralBlocks(string text)
    {
        var blocks = new List<(int, int)>();
        var blockIndent = -1;
        var blockStart = 0;
        for (var position = 0; position < text.Length;)
        {
            var end = text.IndexOf('\n', position);
            end = end < 0 ? text.Length : end;
            var line = text.AsSpan(position, end - position);
            var indent = line.Length - line.TrimStart(' ').Length;
            if (blockIndent >= 0)
            {
                if (line.Length == 0 || indent > blockIndent)
                {
                    position = end + 1;
                    continue;
                }

                blocks.Add((blockStart, position));
                blockIndent = -1;
            }

            if (LiteralHeader().IsMatch(line))
            {
                blockIndent = indent;
                blockStart = end + 1;
            }

            position = end + 1;
        }

        if (blockIndent >= 0)
        {
            blocks.Add((blockStart, text.Length));
        }

        return blocks;
    }

    [GeneratedRegex(@"^ *(- )?\S.*: \|[1-9]?[-+]?$")]
    private static partial Regex LiteralHeader();

    private sealed record FileTemplate(SlotText Name, SlotText Content, bool IsPart, int JsonBytes, int HeaderBytes, IReadOnlyList<string> DataKeys);

    /// <summary>A text with slots: (offset, length, slot key) in ascending, non-overlapping order.</summary>
    private sealed class SlotText(string text, IReadOnlyList<(int Offset, int Length, string Key)> slots)
    {
        public string Text { get; } = text;

        public IReadOnlyList<(int Offset, int Length, string Key)> Slots { get; } = slots;

        /// <summary>Every occurrence of every placeholder in <paramref name="text"/>; the port only where no letter or digit touches it.</summary>
        public static SlotText? Find(string text, IReadOnlyDictionary<string, string> placeholders, IReadOnlyList<(int Start, int End)> literalBlocks,
            HashSet<string> scalarSlots, out string? whyNot)
        {
            var slots = new List<(int Offset, int Length, string Key)>();
            foreach (var (key, placeholder) in placeholders)
            {
                var wholeToken = key == StampableFacts.Port;
                for (var at = text.IndexOf(placeholder, StringComparison.Ordinal); at >= 0; at = text.IndexOf(placeholder, at + 1, StringComparison.Ordinal))
                {
                    var end = at + placeholder.Length;
                    if (wholeToken && ((at > 0 && char.IsAsciiLetterOrDigit(text[at - 1])) || (end < text.Length && char.IsAsciiLetterOrDigit(text[end]))))
                    {
                        continue;
                    }

                    slots.Add((at, placeholder.Length, key));
                    if (!literalBlocks.Any(b => b.Start <= at && end <= b.End))
                    {
                        scalarSlots.Add(key);
                    }
                }
            }

            slots.Sort((a, b) => a.Offset.CompareTo(b.Offset));
            for (var i = 1; i < slots.Count; i++)
            {
                if (slots[i].Offset < slots[i - 1].Offset + slots[i - 1].Length)
                {
                    whyNot = $"the placeholders of {slots[i - 1].Key} and {slots[i].Key} overlap";
                    return null;
                }
            }

            whyNot = null;
            return new SlotText(text, slots);
        }

        /// <summary>The text with each slot's value; <paramref name="growth"/> is how many characters longer it got.</summary>
        public string Stamp(IReadOnlyDictionary<string, string> values, out int growth)
        {
            growth = 0;
            if (Slots.Count == 0)
            {
                return Text;
            }

            foreach (var (_, length, key) in Slots)
            {
                growth += values[key].Length - length;
            }

            // The length is known: the text is made in place, without a builder's copy.
            return string.Create(Text.Length + growth, (this, values), static (span, state) =>
            {
                var (template, values) = state;
                var text = template.Text.AsSpan();
                var position = 0;
                foreach (var (offset, length, key) in template.Slots)
                {
                    text[position..offset].CopyTo(span);
                    span = span[(offset - position)..];
                    values[key].AsSpan().CopyTo(span);
                    span = span[values[key].Length..];
                    position = offset + length;
                }

                text[position..].CopyTo(span);
            });
        }
    }
}
