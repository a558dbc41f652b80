namespace CapiCiliumAddon.Rendering.CiliumCli;

/// <summary>Finds the Cilium CLI: an explicit path, then $CILIUM_CLI, then `cilium` on PATH.</summary>
public static class CiliumCliLocator
{
    public const string EnvironmentVariable = "CILIUM_CLI";

    public const string HowToInstall =
        "install it with hack/install-cilium-cli.sh (pinned version, checksum verified), or pass --cilium PATH, or set CILIUM_CLI";

    public static string Locate(string? explicitPath, Func<string, string?>? getEnvironment = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return RequireExecutable(explicitPath, "--cilium");
        }

        if (getEnvironment(EnvironmentVariable) is { Length: > 0 } fromEnvironment)
        {
            return RequireExecutable(fromEnvironment, EnvironmentVariable);
        }

        foreach (var directory in (getEnvironment("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "cilium");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new CiliumCliNotFoundException($"the Cilium CLI was not found on PATH; {HowToInstall}");
    }

    private static string RequireExecutable(string path, string origin)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new CiliumCliNotFoundException($"the Cilium CLI given by {origin} does not exist: {full}; {HowToInstall}");
        }

        return full;
    }
}

public sealed class CiliumCliNotFoundException(string message) : Exception(message);
