namespace CapiCiliumAddon.Testing;

/// <summary>A stand-in for an unpacked Cilium chart: only the Chart.yaml the CLI (and the fake) read the version from.</summary>
public static class FakeChart
{
    /// <summary>Writes <paramref name="directory"/>/Chart.yaml for chart <paramref name="version"/> and returns the directory.</summary>
    public static string Create(string directory, string version)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(
            Path.Combine(directory, "Chart.yaml"),
            $"apiVersion: v2\nname: cilium\nversion: {version}\nappVersion: {version}\n");
        return directory;
    }
}
