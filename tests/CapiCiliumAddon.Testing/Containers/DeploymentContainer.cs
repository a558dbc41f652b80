using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CapiCiliumAddon.Rendering.Yaml;

namespace CapiCiliumAddon.Testing.Containers;

/// <summary>An environment variable of the container: a literal value, or a field of the pod (the downward API).</summary>
public sealed record ContainerEnvironmentVariable(string Name, string? Value, string? FieldPath);

/// <summary>
/// The controller's container as manifests/deployment.yaml runs it: user, security settings, memory limit, the /tmp
/// volume, environment and arguments. Read from the file, so a test that runs the image with these settings runs it
/// as the Deployment does, and a change to the Deployment reaches the test.
/// </summary>
public sealed partial record DeploymentContainer(
    long RunAsUser,
    long RunAsGroup,
    bool RunAsNonRoot,
    bool ReadOnlyRootFilesystem,
    bool AllowPrivilegeEscalation,
    IReadOnlyList<string> DroppedCapabilities,
    long MemoryLimitBytes,
    string TmpMountPath,
    long? TmpSizeLimitBytes,
    IReadOnlyList<ContainerEnvironmentVariable> Environment,
    IReadOnlyList<string> Arguments,
    string Image)
{
    public static string DeploymentPath => Path.Combine(RepositoryPaths.Root, "manifests", "deployment.yaml");

    /// <summary>Reads the Deployment's only container; fails naming the field that is missing.</summary>
    public static DeploymentContainer Load(string? path = null)
    {
        path ??= DeploymentPath;
        var deployment = YamlDocuments.ReadFile(path).Single().Content!.AsObject();
        var pod = Required(deployment, path, "spec", "template", "spec");
        var container = Required(pod, path, "containers").AsArray().Single()!.AsObject();
        var podSecurity = Required(pod, path, "securityContext");
        var security = Required(container, path, "securityContext");
        var tmpMount = Required(container, path, "volumeMounts").AsArray().Select(m => m!.AsObject())
            .Single(m => (string?)m["mountPath"] == "/tmp");
        var tmpVolume = Required(pod, path, "volumes").AsArray().Select(v => v!.AsObject())
            .Single(v => (string?)v["name"] == (string?)tmpMount["name"]);
        var sizeLimit = tmpVolume["emptyDir"]?["sizeLimit"]?.ToString();

        return new DeploymentContainer(
            RunAsUser: long.Parse(Required(podSecurity, path, "runAsUser").ToString(), CultureInfo.InvariantCulture),
            RunAsGroup: long.Parse(Required(podSecurity, path, "runAsGroup").ToString(), CultureInfo.InvariantCulture),
            RunAsNonRoot: IsTrue(podSecurity["runAsNonRoot"]),
            ReadOnlyRootFilesystem: IsTrue(security["readOnlyRootFilesystem"]),
            AllowPrivilegeEscalation: !IsFalse(security["allowPrivilegeEscalation"]),
            DroppedCapabilities: (security["capabilities"]?["drop"]?.AsArray() ?? []).Select(c => c!.ToString()).ToList(),
            MemoryLimitBytes: Quantity(Required(container, path, "resources", "limits", "memory").ToString()),
            TmpMountPath: (string)tmpMount["mountPath"]!,
            TmpSizeLimitBytes: sizeLimit is null ? null : Quantity(sizeLimit),
            Environment: (container["env"]?.AsArray() ?? []).Select(e => new ContainerEnvironmentVariable(
                (string)e!["name"]!, e["value"]?.ToString(), e["valueFrom"]?["fieldRef"]?["fieldPath"]?.ToString())).ToList(),
            Arguments: (container["args"]?.AsArray() ?? []).Select(a => a!.ToString()).ToList(),
            Image: (string)Required(container, path, "image")!);
    }

    /// <summary>
    /// `podman run` / `docker run` options that impose these settings: the user, a read-only root, the capabilities
    /// dropped, no privilege escalation, the memory limit with no swap (Kubernetes runs pods without swap), /tmp as a
    /// tmpfs of the emptyDir's size limit, and the environment, with each downward-API field taken from
    /// <paramref name="podFields"/> (e.g. metadata.name, metadata.namespace), as the kubelet fills them in.
    /// </summary>
    public IReadOnlyList<string> RunOptions(IReadOnlyDictionary<string, string> podFields)
    {
        var options = new List<string> { "--user", $"{RunAsUser}:{RunAsGroup}" };
        if (ReadOnlyRootFilesystem)
        {
            options.Add("--read-only");
        }

        foreach (var capability in DroppedCapabilities)
        {
            options.AddRange(["--cap-drop", capability]);
        }

        if (!AllowPrivilegeEscalation)
        {
            options.AddRange(["--security-opt", "no-new-privileges"]);
        }

        var memory = MemoryLimitBytes.ToString(CultureInfo.InvariantCulture);
        options.AddRange(["--memory", memory, "--memory-swap", memory]);
        var tmpfs = $"{TmpMountPath}:rw,mode=1777" + (TmpSizeLimitBytes is { } size ? $",size={size.ToString(CultureInfo.InvariantCulture)}" : "");
        options.AddRange(["--tmpfs", tmpfs]);
        foreach (var variable in Environment)
        {
            var value = variable.Value
                ?? (variable.FieldPath is { } field && podFields.TryGetValue(field, out var filled)
                    ? filled
                    : throw new InvalidOperationException($"{DeploymentPath}: env {variable.Name} needs pod field '{variable.FieldPath}', which the caller did not give"));
            options.AddRange(["--env", $"{variable.Name}={value}"]);
        }

        return options;
    }

    /// <summary>A Kubernetes quantity of bytes: plain, or with a binary (Ki, Mi, Gi) or decimal (k, M, G) suffix.</summary>
    public static long Quantity(string text)
    {
        var match = QuantityPattern().Match(text);
        if (!match.Success)
        {
            throw new FormatException($"'{text}' is not a Kubernetes quantity of bytes");
        }

        var factor = match.Groups["unit"].Value switch
        {
            "" => 1L,
            "k" => 1000L,
            "M" => 1000L * 1000,
            "G" => 1000L * 1000 * 1000,
            "Ki" => 1024L,
            "Mi" => 1024L * 1024,
            "Gi" => 1024L * 1024 * 1024,
            var unit => throw new FormatException($"'{text}': unit '{unit}' is not handled"),
        };
        return long.Parse(match.Groups["number"].Value, CultureInfo.InvariantCulture) * factor;
    }

    private static JsonNode Required(JsonNode from, string path, params string[] fields)
    {
        JsonNode? node = from;
        foreach (var field in fields)
        {
            node = node?[field];
        }

        return node ?? throw new InvalidOperationException($"{path}: the controller's container has no {string.Join('.', fields)}");
    }

    private static bool IsTrue(JsonNode? node) => string.Equals(node?.ToString(), "true", StringComparison.OrdinalIgnoreCase);

    private static bool IsFalse(JsonNode? node) => string.Equals(node?.ToString(), "false", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"^(?<number>[0-9]+)(?<unit>[A-Za-z]*)$")]
    private static partial Regex QuantityPattern();
}
