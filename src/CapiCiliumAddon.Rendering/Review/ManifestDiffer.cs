using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CapiCiliumAddon.Rendering.Review;

/// <summary>
/// Compares two sets of objects by identity, field by field. Scalars compare by text (quoting is formatting); list
/// items pair by `name` when every item has a unique one, lists of scalars compare as multisets, other lists by index.
/// Values under `data`/`stringData` of Secrets are never shown, only a short hash of them.
/// </summary>
public static class ManifestDiffer
{
    /// <summary>JSON strings longer than this are pretty-printed and shown as a line diff rather than `old → new`.</summary>
    public const int LongJsonThreshold = 100;

    public static ManifestDiff Compare(IReadOnlyList<ManifestObject> oldObjects, IReadOnlyList<ManifestObject> newObjects)
    {
        var oldById = oldObjects.GroupBy(o => o.Identity).ToDictionary(g => g.Key, g => g.First());
        var newById = newObjects.GroupBy(o => o.Identity).ToDictionary(g => g.Key, g => g.First());

        var pairs = new List<(ManifestObject Old, ManifestObject New)>();
        foreach (var (id, n) in newById)
        {
            if (oldById.TryGetValue(id, out var o))
            {
                pairs.Add((o, n));
            }
        }
        var removed = oldById.Keys.Where(id => !newById.ContainsKey(id)).ToList();
        var added = newById.Keys.Where(id => !oldById.ContainsKey(id)).ToList();

        // An object that only changed wrapper (moved to another ConfigMap part, or raw render vs wrapped render) is
        // the same object when exactly one candidate exists on each side.
        var removedByBase = removed.GroupBy(id => id.Unscoped).Where(g => g.Count() == 1).ToDictionary(g => g.Key, g => g.Single());
        foreach (var group in added.GroupBy(id => id.Unscoped).Where(g => g.Count() == 1).ToList())
        {
            if (removedByBase.TryGetValue(group.Key, out var oldId))
            {
                pairs.Add((oldById[oldId], newById[group.Single()]));
                removed.Remove(oldId);
                added.Remove(group.Single());
            }
        }

        var changed = new List<ObjectChange>();
        foreach (var (o, n) in pairs)
        {
            var fields = new List<FieldChange>();
            var redact = n.Identity.ApiVersion == "v1" && n.Identity.Kind == "Secret";
            if (redact)
            {
                foreach (var key in o.Root.Entries.Select(e => e.Key).Union(n.Root.Entries.Select(e => e.Key)).Order(StringComparer.Ordinal))
                {
                    Walk(YamlTree.AppendKey("", key), o.Root.Get(key), n.Root.Get(key), fields, key is "data" or "stringData");
                }
            }
            else
            {
                Walk("", o.Root, n.Root, fields, redact: false);
            }
            var moved = o.Identity != n.Identity ? o.Identity : null;
            if (fields.Count > 0 || moved is not null)
            {
                changed.Add(new ObjectChange(n.Identity, moved, fields));
            }
        }

        removed.Sort();
        added.Sort();
        changed.Sort((a, b) => a.Identity.CompareTo(b.Identity));
        return new ManifestDiff(Highlights(oldObjects, newObjects), removed, added, changed);
    }

    private static void Walk(string path, YNode? a, YNode? b, List<FieldChange> output, bool redact)
    {
        switch (a, b)
        {
            case (null, null):
                return;
            case (null, _):
                Flatten(path, b, FieldChangeKind.Added, output, redact);
                return;
            case (_, null):
                Flatten(path, a, FieldChangeKind.Removed, output, redact);
                return;
            case (YMap ma, YMap mb):
                foreach (var key in ma.Entries.Select(e => e.Key).Union(mb.Entries.Select(e => e.Key)).Order(StringComparer.Ordinal))
                {
                    Walk(YamlTree.AppendKey(path, key), ma.Get(key), mb.Get(key), output, redact);
                }
                return;
            case (YSeq sa, YSeq sb):
                WalkSeq(path, sa, sb, output, redact);
                return;
            case (YScalar xa, YScalar xb):
                if (!xa.Same(xb) && ScalarChange(path, xa.IsString == xb.IsString ? xa.Text : xa.Shown, xa.IsString == xb.IsString ? xb.Text : xb.Shown, redact) is { } change)
                {
                    output.Add(change);
                }
                return;
            default:
                // A value changed shape (e.g. a string became a map): show both sides on one line.
                output.Add(new FieldChange(path, FieldChangeKind.Modified, Show(YamlTree.Inline(a), redact), Show(YamlTree.Inline(b), redact)));
                return;
        }
    }

    private static void WalkSeq(string path, YSeq a, YSeq b, List<FieldChange> output, bool redact)
    {
        if (NamedItems(a) is { } na && NamedItems(b) is { } nb)
        {
            foreach (var name in na.Keys.Union(nb.Keys).Order(StringComparer.Ordinal))
            {
                na.TryGetValue(name, out var ia);
                nb.TryGetValue(name, out var ib);
                WalkNamedItem($"{path}[name={name}]", ia, ib, output, redact);
            }
            return;
        }

        if (a.Items.All(i => i is YScalar) && b.Items.All(i => i is YScalar))
        {
            var ta = a.Items.Select(i => ((YScalar)i).Text).ToList();
            var tb = b.Items.Select(i => ((YScalar)i).Text).ToList();
            if (ta.SequenceEqual(tb))
            {
                return;
            }
            var removedItems = MultisetMinus(ta, tb);
            var addedItems = MultisetMinus(tb, ta);
            if (removedItems.Count == 0 && addedItems.Count == 0)
            {
                output.Add(new FieldChange(path + " (order)", FieldChangeKind.Modified, Show("[" + string.Join(", ", ta) + "]", redact), Show("[" + string.Join(", ", tb) + "]", redact)));
                return;
            }
            output.AddRange(removedItems.Select(t => new FieldChange(path, FieldChangeKind.Removed, Show(t, redact), null)));
            output.AddRange(addedItems.Select(t => new FieldChange(path, FieldChangeKind.Added, null, Show(t, redact))));
            return;
        }

        // Items without names (RBAC rules, tolerations): equal items are aligned first (longest common subsequence),
        // so one inserted rule does not show as every later rule changing; the rest pair by position within each gap.
        var (oldGap, newGap) = (new List<int>(), new List<int>());
        foreach (var (i, j) in Align(a.Items.Select(YamlTree.Inline).ToList(), b.Items.Select(YamlTree.Inline).ToList()))
        {
            if (i >= 0 && j >= 0)
            {
                FlushGap(path, a, b, oldGap, newGap, output, redact);
                continue;
            }
            (i >= 0 ? oldGap : newGap).Add(i >= 0 ? i : j);
        }
        FlushGap(path, a, b, oldGap, newGap, output, redact);
    }

    private static void FlushGap(string path, YSeq a, YSeq b, List<int> oldGap, List<int> newGap, List<FieldChange> output, bool redact)
    {
        for (var k = 0; k < Math.Max(oldGap.Count, newGap.Count); k++)
        {
            var i = k < oldGap.Count ? oldGap[k] : -1;
            var j = k < newGap.Count ? newGap[k] : -1;
            Walk($"{path}[{(j >= 0 ? j : i)}]", i >= 0 ? a.Items[i] : null, j >= 0 ? b.Items[j] : null, output, redact);
        }
        oldGap.Clear();
        newGap.Clear();
    }

    /// <summary>An LCS alignment: (i, j) for equal items, (i, -1) for old-only, (-1, j) for new-only, in order.</summary>
    private static List<(int, int)> Align(List<string> a, List<string> b)
    {
        if ((long)a.Count * b.Count > 4_000_000)
        {
            // Too large for a quadratic table: report every item as changed in place (pairing by position).
            return [.. Enumerable.Range(0, a.Count).Select(i => (i, -1)), .. Enumerable.Range(0, b.Count).Select(j => (-1, j))];
        }
        var lcs = new int[a.Count + 1, b.Count + 1];
        for (var i = a.Count - 1; i >= 0; i--)
        {
            for (var j = b.Count - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }
        var result = new List<(int, int)>();
        int x = 0, y = 0;
        while (x < a.Count || y < b.Count)
        {
            if (x < a.Count && y < b.Count && a[x] == b[y])
            {
                result.Add((x++, y++));
            }
            else if (y < b.Count && (x == a.Count || lcs[x, y + 1] >= lcs[x + 1, y]))
            {
                result.Add((-1, y++));
            }
            else
            {
                result.Add((x++, -1));
            }
        }
        return result;
    }

    private static void WalkNamedItem(string path, YNode? a, YNode? b, List<FieldChange> output, bool redact)
    {
        if (a is not null && b is not null)
        {
            Walk(path, a, b, output, redact);
            return;
        }
        // A whole item came or went: its `name` is already in the path, so list only its other fields.
        var item = (YMap)(a ?? b)!;
        var kind = a is null ? FieldChangeKind.Added : FieldChangeKind.Removed;
        var rest = new YMap();
        rest.Entries.AddRange(item.Entries.Where(e => e.Key != "name"));
        if (rest.Entries.Count == 0)
        {
            output.Add(new FieldChange(path, kind, kind == FieldChangeKind.Removed ? "{}" : null, kind == FieldChangeKind.Added ? "{}" : null));
            return;
        }
        Flatten(path, rest, kind, output, redact);
    }

    /// <summary>Items keyed by `name` when every item is a map with a unique scalar name (an empty list qualifies).</summary>
    private static Dictionary<string, YNode>? NamedItems(YSeq seq)
    {
        var result = new Dictionary<string, YNode>(StringComparer.Ordinal);
        foreach (var item in seq.Items)
        {
            if (item is not YMap m || m.GetText("name") is not { } name || !result.TryAdd(name, m))
            {
                return null;
            }
        }
        return result;
    }

    private static List<string> MultisetMinus(List<string> left, List<string> right)
    {
        var remaining = right.GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        var result = new List<string>();
        foreach (var t in left)
        {
            if (remaining.TryGetValue(t, out var n) && n > 0)
            {
                remaining[t] = n - 1;
            }
            else
            {
                result.Add(t);
            }
        }
        return result;
    }

    private static void Flatten(string path, YNode node, FieldChangeKind kind, List<FieldChange> output, bool redact)
    {
        switch (node)
        {
            case YMap { Entries.Count: > 0 } map:
                foreach (var (key, value) in map.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
                {
                    Flatten(YamlTree.AppendKey(path, key), value, kind, output, redact);
                }
                return;
            case YSeq { Items.Count: > 0 } seq when seq.Items.All(i => i is YScalar):
                var items = Show(YamlTree.Inline(seq), redact);
                output.Add(new FieldChange(path, kind, kind == FieldChangeKind.Removed ? items : null, kind == FieldChangeKind.Added ? items : null));
                return;
            case YSeq { Items.Count: > 0 } seq:
                if (NamedItems(seq) is { } named)
                {
                    foreach (var (name, item) in named.OrderBy(e => e.Key, StringComparer.Ordinal))
                    {
                        WalkNamedItem($"{path}[name={name}]", kind == FieldChangeKind.Removed ? item : null, kind == FieldChangeKind.Added ? item : null, output, redact);
                    }
                    return;
                }
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    Flatten($"{path}[{i}]", seq.Items[i], kind, output, redact);
                }
                return;
            case YScalar s when !redact && IsMultiLine(ForLineDiff(s.Text)):
                output.Add(new FieldChange(path, FieldChangeKind.Text, kind == FieldChangeKind.Removed ? ForLineDiff(s.Text) : null, kind == FieldChangeKind.Added ? ForLineDiff(s.Text) : null));
                return;
            default:
                var text = Show(YamlTree.Inline(node), redact);
                output.Add(new FieldChange(path, kind, kind == FieldChangeKind.Removed ? text : null, kind == FieldChangeKind.Added ? text : null));
                return;
        }
    }

    /// <summary>The change of a scalar whose text differs; null when both are the same JSON laid out differently.</summary>
    private static FieldChange? ScalarChange(string path, string a, string b, bool redact)
    {
        if (!redact)
        {
            var (la, lb) = (ForLineDiff(a), ForLineDiff(b));
            if (la == lb)
            {
                return null;
            }
            if (IsMultiLine(la) || IsMultiLine(lb))
            {
                return new FieldChange(path, FieldChangeKind.Text, la, lb);
            }
        }
        return new FieldChange(path, FieldChangeKind.Modified, Show(a, redact), Show(b, redact));
    }

    private static bool IsMultiLine(string text) => text.TrimEnd('\n').Contains('\n');

    private static readonly JsonSerializerOptions PrettyJson = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>One-line JSON documents (e.g. Envoy's bootstrap config) are pretty-printed so a line diff can find the change.</summary>
    private static string ForLineDiff(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length > LongJsonThreshold && (trimmed.StartsWith('{') || trimmed.StartsWith('[')))
        {
            try
            {
                if (JsonNode.Parse(trimmed) is { } node)
                {
                    return node.ToJsonString(PrettyJson) + "\n";
                }
            }
            catch (JsonException)
            {
                // not JSON after all: diff the text as it is
            }
        }
        return text;
    }

    private static string Show(string text, bool redact)
    {
        if (!redact || text == ManifestLoader.ExpandedMarker)
        {
            return text.Length == 0 ? "\"\"" : text;
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        return $"(secret, sha256:{hash[..12]})";
    }

    /// <summary>The image and version changes between two sets of objects, as <see cref="Compare"/> puts first.</summary>
    public static IReadOnlyList<DiffHighlight> Highlights(IReadOnlyList<ManifestObject> oldObjects, IReadOnlyList<ManifestObject> newObjects)
    {
        var oldImages = Images(oldObjects);
        var newImages = Images(newObjects);
        var result = new List<DiffHighlight>();
        foreach (var repo in oldImages.Keys.Union(newImages.Keys).Order(StringComparer.Ordinal))
        {
            var a = oldImages.GetValueOrDefault(repo) ?? [];
            var b = newImages.GetValueOrDefault(repo) ?? [];
            if (!a.SetEquals(b))
            {
                result.Add(new DiffHighlight(HighlightKind.Image, repo, JoinOrNone(a), JoinOrNone(b)));
            }
        }

        var oldVersions = Versions(oldObjects);
        var newVersions = Versions(newObjects);
        foreach (var key in oldVersions.Keys.Union(newVersions.Keys).Order(StringComparer.Ordinal))
        {
            var a = oldVersions.GetValueOrDefault(key) ?? [];
            var b = newVersions.GetValueOrDefault(key) ?? [];
            if (!a.SetEquals(b))
            {
                result.Add(new DiffHighlight(HighlightKind.Version, key, JoinOrNone(a), JoinOrNone(b)));
            }
        }
        return result;
    }

    private static string JoinOrNone(SortedSet<string> values) => values.Count == 0 ? "(none)" : string.Join(", ", values);

    /// <summary>Every `image:` value anywhere in every object, grouped by repository (the reference without tag and digest).</summary>
    private static Dictionary<string, SortedSet<string>> Images(IReadOnlyList<ManifestObject> objects)
    {
        var result = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var o in objects)
        {
            CollectImages(o.Root, result);
        }
        return result;
    }

    private static void CollectImages(YNode node, Dictionary<string, SortedSet<string>> result)
    {
        switch (node)
        {
            case YMap map:
                foreach (var (key, value) in map.Entries)
                {
                    if (key == "image" && value is YScalar s && s.Text.Length > 0)
                    {
                        var (repo, version) = SplitImage(s.Text);
                        if (!result.TryGetValue(repo, out var set))
                        {
                            result[repo] = set = new SortedSet<string>(StringComparer.Ordinal);
                        }
                        set.Add(version);
                    }
                    else
                    {
                        CollectImages(value, result);
                    }
                }
                break;
            case YSeq seq:
                foreach (var item in seq.Items)
                {
                    CollectImages(item, result);
                }
                break;
        }
    }

    /// <summary>`quay.io/cilium/cilium:v1.18.12@sha256:…` → (`quay.io/cilium/cilium`, `v1.18.12@sha256:…`).</summary>
    internal static (string Repository, string Version) SplitImage(string reference)
    {
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        var name = at < 0 ? reference : reference[..at];
        var digest = at < 0 ? "" : reference[at..];
        var colon = name.LastIndexOf(':');
        if (colon > name.LastIndexOf('/'))
        {
            return (name[..colon], name[(colon + 1)..] + digest);
        }
        return (name, (digest.Length == 0 ? "latest" : digest.TrimStart('@')));
    }

    /// <summary>Labels and annotations whose key ends in `version` (e.g. `addon.capi-cilium.io/chart-version`, `app.kubernetes.io/version`) or is `helm.sh/chart`.</summary>
    private static Dictionary<string, SortedSet<string>> Versions(IReadOnlyList<ManifestObject> objects)
    {
        var result = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var o in objects)
        {
            if (o.Root.Get("metadata") is not YMap metadata)
            {
                continue;
            }
            foreach (var field in new[] { "labels", "annotations" })
            {
                if (metadata.Get(field) is not YMap map)
                {
                    continue;
                }
                foreach (var (key, value) in map.Entries)
                {
                    if (value is YScalar s && IsVersionKey(key))
                    {
                        if (!result.TryGetValue(key, out var set))
                        {
                            result[key] = set = new SortedSet<string>(StringComparer.Ordinal);
                        }
                        set.Add(s.Text);
                    }
                }
            }
        }
        return result;
    }

    private static bool IsVersionKey(string key)
    {
        var last = key[(key.LastIndexOf('/') + 1)..];
        return last.EndsWith("version", StringComparison.OrdinalIgnoreCase) || key == "helm.sh/chart";
    }
}
