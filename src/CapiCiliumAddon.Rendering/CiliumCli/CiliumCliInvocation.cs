namespace CapiCiliumAddon.Rendering.CiliumCli;

/// <summary>
/// The argv and environment of a dry-run, as pure functions so tests can pin them byte for byte. The recipe that
/// keeps the CLI from talking to ANY cluster (DESIGN.md §3): its own kubeconfig pointing at a closed port, no
/// in-cluster service variables (inside a pod the CLI would otherwise fall back to the MANAGEMENT cluster and copy
/// its API server into the render), and every value passed explicitly.
/// </summary>
public static class CiliumCliInvocation
{
    /// <summary>Port 1 on loopback: nothing listens there, so any request fails at once instead of reaching a cluster.</summary>
    public const string UnreachableServer = "https://127.0.0.1:1";

    public const string KubeconfigFileName = "kubeconfig";
    public const string ValuesFileName = "values.json";

    public static IReadOnlyList<string> DryRunArguments(string? chartDirectory, string version, string valuesFile)
    {
        var arguments = new List<string> { "install", "--dry-run" };
        if (chartDirectory is not null)
        {
            // --version would be ignored next to a chart directory; leaving it out keeps the argv honest.
            arguments.AddRange(["--chart-directory", chartDirectory]);
        }
        else
        {
            arguments.AddRange(["--version", version]);
        }

        arguments.AddRange(["--values", valuesFile]);
        return arguments;
    }

    public static IReadOnlyList<string> VersionArguments() => ["version", "--client"];

    /// <summary>
    /// An allow-list, not a deny-list: the child sees only these variables. KUBERNETES_SERVICE_HOST/PORT,
    /// CILIUM_NAMESPACE, proxies and credentials of the parent never reach it.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Environment(string workDirectory, string? parentPath)
    {
        var home = Path.Combine(workDirectory, "home");
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOME"] = home,
            ["KUBECONFIG"] = Path.Combine(workDirectory, KubeconfigFileName),
            ["PATH"] = string.IsNullOrEmpty(parentPath) ? "/usr/local/bin:/usr/bin:/bin" : parentPath,
            ["TMPDIR"] = Path.Combine(workDirectory, "tmp"),
            ["XDG_CACHE_HOME"] = Path.Combine(home, ".cache"),
            ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config"),
        };
    }

    public static string Kubeconfig() =>
        $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: offline
          cluster:
            server: {UnreachableServer}
        contexts:
        - name: offline
          context:
            cluster: offline
            user: offline
        current-context: offline
        users:
        - name: offline
          user: {"{}"}

        """;
}
