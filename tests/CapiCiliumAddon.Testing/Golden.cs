using System.Runtime.CompilerServices;
using System.Text;
using NUnit.Framework;

namespace CapiCiliumAddon.Testing;

/// <summary>Golden-file assertions (our stand-in for Verify): the expected output lives in
/// <c>golden/</c> beside the test's source file and is compared byte for byte.
/// On a mismatch the actual output is written beside it as <c>&lt;name&gt;.received</c>; accept it by renaming it
/// over the golden file, or run the tests with <c>UPDATE_GOLDEN=1</c> to rewrite every golden file they touch.</summary>
public static class Golden
{
    /// <summary>Set to 1 to write the golden files instead of comparing with them.</summary>
    public const string UpdateVariable = "UPDATE_GOLDEN";

    public const string ReceivedSuffix = ".received";

    private static bool UpdateRequested => Environment.GetEnvironmentVariable(UpdateVariable) == "1";

    /// <summary>Asserts that <paramref name="actual"/> (as UTF-8, no BOM) equals
    /// <c>&lt;folder of the calling source file&gt;/golden/<paramref name="goldenFileName"/></c> byte for byte.</summary>
    public static void AssertMatches(string actual, string goldenFileName, [CallerFilePath] string sourceFile = "") =>
        Report(CompareFile(new UTF8Encoding(false).GetBytes(actual), GoldenPath(sourceFile, goldenFileName), UpdateRequested));

    /// <summary>Asserts that the tree under <paramref name="actualDirectory"/> equals
    /// <c>golden/<paramref name="goldenDirectoryName"/></c>: the same relative paths with the same bytes.</summary>
    public static void AssertDirectoryMatches(string actualDirectory, string goldenDirectoryName, [CallerFilePath] string sourceFile = "") =>
        Report(CompareDirectory(actualDirectory, GoldenPath(sourceFile, goldenDirectoryName), UpdateRequested));

    /// <summary>The comparison behind <see cref="AssertMatches"/>, without NUnit: writes the golden file when
    /// <paramref name="update"/> is set, else compares and writes <c>.received</c> on a difference.</summary>
    public static GoldenResult CompareFile(byte[] actual, string goldenPath, bool update)
    {
        var receivedPath = goldenPath + ReceivedSuffix;
        if (update)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(goldenPath)!);
            File.WriteAllBytes(goldenPath, actual);
            File.Delete(receivedPath);
            return new GoldenResult(GoldenOutcome.Updated, $"{UpdateVariable}=1: wrote golden file {goldenPath}; review and commit it.");
        }

        if (!File.Exists(goldenPath))
        {
            WriteReceived(receivedPath, actual);
            return new GoldenResult(GoldenOutcome.Missing,
                $"Golden file {goldenPath} does not exist. The received output is in {receivedPath}; " +
                $"to accept it rename it to {Path.GetFileName(goldenPath)}, or re-run with {UpdateVariable}=1.");
        }

        var expected = File.ReadAllBytes(goldenPath);
        if (expected.AsSpan().SequenceEqual(actual))
        {
            File.Delete(receivedPath);
            return new GoldenResult(GoldenOutcome.Matched, $"{goldenPath} matches.");
        }

        WriteReceived(receivedPath, actual);
        return new GoldenResult(GoldenOutcome.Mismatched,
            $"Output differs from golden file {goldenPath}.\n{DescribeFirstDifference(expected, actual)}\n" +
            $"Received output written to {receivedPath}; to accept it rename it over the golden file, or re-run with {UpdateVariable}=1.");
    }

    /// <summary>The comparison behind <see cref="AssertDirectoryMatches"/>, without NUnit. On a difference the actual
    /// tree is copied to <c>&lt;golden directory&gt;.received/</c>.</summary>
    public static GoldenResult CompareDirectory(string actualDirectory, string goldenDirectory, bool update)
    {
        var receivedDirectory = goldenDirectory + ReceivedSuffix;
        if (update)
        {
            DeleteDirectory(goldenDirectory);
            CopyTree(actualDirectory, goldenDirectory);
            DeleteDirectory(receivedDirectory);
            return new GoldenResult(GoldenOutcome.Updated, $"{UpdateVariable}=1: wrote golden directory {goldenDirectory}; review and commit it.");
        }

        if (!Directory.Exists(goldenDirectory))
        {
            DeleteDirectory(receivedDirectory);
            CopyTree(actualDirectory, receivedDirectory);
            return new GoldenResult(GoldenOutcome.Missing,
                $"Golden directory {goldenDirectory} does not exist. The received tree is in {receivedDirectory}; " +
                $"to accept it rename it to {Path.GetFileName(goldenDirectory)}, or re-run with {UpdateVariable}=1.");
        }

        var expectedFiles = RelativeFiles(goldenDirectory);
        var actualFiles = RelativeFiles(actualDirectory);
        var problems = new List<string>();
        problems.AddRange(expectedFiles.Except(actualFiles, StringComparer.Ordinal).Select(f => $"missing file: {f}"));
        problems.AddRange(actualFiles.Except(expectedFiles, StringComparer.Ordinal).Select(f => $"extra file: {f}"));
        foreach (var file in expectedFiles.Intersect(actualFiles, StringComparer.Ordinal))
        {
            var expected = File.ReadAllBytes(Path.Combine(goldenDirectory, file));
            var actual = File.ReadAllBytes(Path.Combine(actualDirectory, file));
            if (!expected.AsSpan().SequenceEqual(actual))
            {
                problems.Add($"different file: {file}\n{Indent(DescribeFirstDifference(expected, actual))}");
            }
        }

        DeleteDirectory(receivedDirectory);
        if (problems.Count == 0)
        {
            return new GoldenResult(GoldenOutcome.Matched, $"{goldenDirectory} matches.");
        }

        CopyTree(actualDirectory, receivedDirectory);
        return new GoldenResult(GoldenOutcome.Mismatched,
            $"Tree {actualDirectory} differs from golden directory {goldenDirectory}:\n{string.Join('\n', problems)}\n" +
            $"Received tree copied to {receivedDirectory}; to accept it replace the golden directory with it, or re-run with {UpdateVariable}=1.");
    }

    private static void Report(GoldenResult result)
    {
        switch (result.Outcome)
        {
            case GoldenOutcome.Matched:
                return;
            case GoldenOutcome.Updated:
                Assert.Warn(result.Message);
                return;
            default:
                Assert.Fail(result.Message);
                return;
        }
    }

    private static string GoldenPath(string sourceFile, string name)
    {
        if (string.IsNullOrEmpty(sourceFile) || Path.GetDirectoryName(sourceFile) is not { Length: > 0 } sourceDirectory)
        {
            throw new ArgumentException("The caller's source file path is unknown; let [CallerFilePath] fill it in.", nameof(sourceFile));
        }

        return Path.Combine(sourceDirectory, "golden", name);
    }

    /// <summary>"line N" with the expected and actual line (1-based; a missing line shows as &lt;end of file&gt;).</summary>
    private static string DescribeFirstDifference(byte[] expected, byte[] actual)
    {
        var expectedLines = Encoding.UTF8.GetString(expected).Split('\n');
        var actualLines = Encoding.UTF8.GetString(actual).Split('\n');
        for (var i = 0; ; i++)
        {
            var e = i < expectedLines.Length ? expectedLines[i] : null;
            var a = i < actualLines.Length ? actualLines[i] : null;
            if (e != a || (e is null && a is null))
            {
                return e is null && a is null
                    ? "The texts decode to the same lines but differ in bytes (encoding)."
                    : $"First difference at line {i + 1}:\n  expected: {Show(e)}\n  actual:   {Show(a)}";
            }
        }
    }

    private static string Show(string? line) =>
        line is null ? "<end of file>" : "\"" + line.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal) + "\"";

    private static string Indent(string text) => "  " + text.Replace("\n", "\n  ", StringComparison.Ordinal);

    private static void WriteReceived(string receivedPath, byte[] actual)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(receivedPath)!);
        File.WriteAllBytes(receivedPath, actual);
    }

    private static List<string> RelativeFiles(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in RelativeFiles(from))
        {
            var target = Path.Combine(to, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(from, file), target, overwrite: true);
        }
    }

    private static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}

public enum GoldenOutcome
{
    /// <summary>Equal to the golden file or tree.</summary>
    Matched,

    /// <summary>Different; the received output was written beside the golden file.</summary>
    Mismatched,

    /// <summary>No golden file yet; the received output was written beside where it belongs.</summary>
    Missing,

    /// <summary>UPDATE_GOLDEN=1: the golden file was (re)written.</summary>
    Updated,
}

public sealed record GoldenResult(GoldenOutcome Outcome, string Message);
