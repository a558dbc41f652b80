namespace CapiCiliumAddon.Testing;

/// <summary>
/// A stand-in for an unpacked Cilium chart: the Chart.yaml the CLI (and the fake) read the version from and, when
/// given, a values.yaml of chart defaults (the planner checks keys against it, bump compares two of them).
/// </summary>
public static class FakeChart
{
    /// <summary>Writes <paramref name="directory"/>/Chart.yaml for chart <paramref name="version"/> (and values.yaml) and returns the directory.</summary>
    public static string Create(string directory, string version, string? valuesYaml = null)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(
            Path.Combine(directory, "Chart.yaml"),
            $"apiVersion: v2\nname: cilium\nversion: {version}\nappVersion: {version}\n");
        if (valuesYaml is not null)
        {
            File.WriteAllText(Path.Combine(directory, "values.yaml"), valuesYaml);
        }

        return directory;
    }
}
