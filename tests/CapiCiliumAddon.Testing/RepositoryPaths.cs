namespace CapiCiliumAddon.Testing;

/// <summary>Where the repository is, found from the running test's output folder.</summary>
public static class RepositoryPaths
{
    private const string SolutionFile = "CapiCiliumAddon.sln";

    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The folder holding CapiCiliumAddon.sln.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>tests/fixtures.</summary>
    public static string Fixtures => Path.Combine(Root, "tests", "fixtures");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No {SolutionFile} in {AppContext.BaseDirectory} or any folder above it.");
    }
}
