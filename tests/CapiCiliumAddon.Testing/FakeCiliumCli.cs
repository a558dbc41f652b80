using System.Reflection;
using System.Text;
using System.Text.Json;

namespace CapiCiliumAddon.Testing;

/// <summary>The fake `cilium` (tests/FakeCilium), which replays real recorded CLI runs, and helpers to use it.</summary>
public static class FakeCiliumCli
{
    /// <summary>The file the fake appends one JSON line per call to, inside its record directory.</summary>
    public const string InvocationsFileName = "invocations.jsonl";

    /// <summary>tests/FakeCilium/bin/&lt;the test's Configuration&gt;/net10.0/cilium. Throws with a hint when it is not built.</summary>
    public static string BinaryPath
    {
        get
        {
            var configuration = typeof(FakeCiliumCli).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            var path = Path.Combine(RepositoryPaths.Root, "tests", "FakeCilium", "bin", configuration, "net10.0", "cilium");
            return File.Exists(path)
                ? path
                : throw new InvalidOperationException(
                    $"The fake cilium is not built at {path}. Reference tests/FakeCilium/FakeCilium.csproj from the test " +
                    $"project (ReferenceOutputAssembly=\"false\") or run `dotnet build tests/FakeCilium -c {configuration}`.");
        }
    }

    /// <summary>Writes an executable `/bin/sh` script named `cilium` into <paramref name="directory"/> that runs the
    /// fake with <c>--fake-mode=<paramref name="mode"/></c> (and <c>--fake-record=<paramref name="recordDirectory"/></c>)
    /// before the caller's arguments. Returns the script's path. Test-only.</summary>
    public static string CreateWrapper(string directory, string mode = "replay", string? recordDirectory = null)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The fake cilium wrapper is a /bin/sh script.");
        }

        var command = new StringBuilder("exec ").Append(ShellQuote(BinaryPath)).Append(' ').Append(ShellQuote($"--fake-mode={mode}"));
        if (recordDirectory is not null)
        {
            command.Append(' ').Append(ShellQuote($"--fake-record={Path.GetFullPath(recordDirectory)}"));
        }

        command.Append(" \"$@\"");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "cilium");
        File.WriteAllText(path, $"#!/bin/sh\n# Test-only stand-in for the Cilium CLI (FakeCiliumCli.CreateWrapper).\n{command}\n");
        File.SetUnixFileMode(path,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
            UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }

    /// <summary>Every call the fake recorded in <paramref name="recordDirectory"/>, oldest first (none if it was never called).</summary>
    public static IReadOnlyList<FakeCiliumInvocation> ReadInvocations(string recordDirectory)
    {
        var path = Path.Combine(recordDirectory, InvocationsFileName);
        if (!File.Exists(path))
        {
            return [];
        }

        return File.ReadAllLines(path)
            .Where(line => line.Length > 0)
            .Select(line => JsonSerializer.Deserialize<FakeCiliumInvocation>(line)
                ?? throw new InvalidDataException($"{path}: a line reads as null: {line}"))
            .ToList();
    }

    /// <summary>Single-quotes a word for /bin/sh: nothing inside is expanded.</summary>
    internal static string ShellQuote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
