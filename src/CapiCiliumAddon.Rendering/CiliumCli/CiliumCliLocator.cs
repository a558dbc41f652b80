namespace CapiCiliumAddon.Rendering.CiliumCli;

/// <summary>
/// Finds the Cilium CLI: an explicit path, then $CILIUM_CLI, then `cilium` on PATH, then the pinned release installed
/// project-locally by <c>--install-cilium-cli</c> (<see cref="ProjectLocalDirectory"/> below the current directory).
/// </summary>
public static class CiliumCliLocator
{
    public const string EnvironmentVariable = "CILIUM_CLI";

    /// <summary>Where <c>--install-cilium-cli</c> puts the pinned release, relative to the current directory.</summary>
    public const string ProjectLocalDirectory = ".tools/cilium-cli";

    public const string HowToInstall =
        "pass --install-cilium-cli to download the pinned release (checksum verified) into " + ProjectLocalDirectory +
        ", or pass --cilium PATH, or set CILIUM_CLI";

    /// <summary>The pinned release's binary below <see cref="ProjectLocalDirectory"/>.</summary>
    public static string ProjectLocalPath => Path.GetFullPath(Path.Combine(ProjectLocalDirectory, CiliumCliRelease.PinnedVersion, "cilium"));

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

        if (File.Exists(ProjectLocalPath))
        {
            return ProjectLocalPath;
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
