using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FakeCilium;

/// <summary>The commands the product runs: `version --client` and `install --dry-run ...`.</summary>
internal static class FakeCli
{
    public static int Run(IReadOnlyList<string> args, Stream stdout, Stream stderr)
    {
        try
        {
            var options = FakeOptions.Parse(args);
            if (options.RecordDirectory is { } recordDirectory)
            {
                InvocationRecorder.Append(recordDirectory, options.CliArguments, ValuesFilesOf(options.CliArguments));
            }

            var cli = options.CliArguments;
            return cli.Count == 0
                ? throw CliFailure.NotModelled("running without a command")
                : cli[0] switch
                {
                    "version" => Version(cli.Skip(1).ToArray(), stdout),
                    "install" => Install(InstallArguments.Parse(cli.Skip(1).ToArray()), options, stdout, stderr),
                    var flag when flag.StartsWith('-') => throw CliFailure.NotModelled($"global flags ({flag})"),
                    var command => throw new CliFailure(1, $"Error: unknown command \"{command}\" for \"cilium\"\nRun 'cilium --help' for usage.\n"),
                };
        }
        catch (CliFailure failure)
        {
            Write(stderr, Encoding.UTF8.GetBytes(failure.Stderr));
            return failure.ExitCode;
        }
    }

    private static IEnumerable<string> ValuesFilesOf(IReadOnlyList<string> cli)
    {
        if (cli.Count == 0 || cli[0] != "install")
        {
            return [];
        }

        try
        {
            return InstallArguments.Parse(cli.Skip(1).ToArray()).ValuesFiles;
        }
        catch (CliFailure)
        {
            return []; // The run itself reports the bad arguments.
        }
    }

    private static int Version(IReadOnlyList<string> args, Stream stdout)
    {
        if (args is not ["--client"])
        {
            throw CliFailure.NotModelled("`version` without exactly `--client` (it would query a cluster)");
        }

        var lines = RecordingCatalogue.LoadBesideExecutable().ClientVersionLines;
        Write(stdout, Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n"))));
        return 0;
    }

    private static int Install(InstallArguments arguments, FakeOptions options, Stream stdout, Stream stderr)
    {
        if (!arguments.DryRun)
        {
            throw CliFailure.NotModelled("`install` without --dry-run (it would install into a cluster)");
        }

        switch (options.Mode)
        {
            case FakeMode.Fail fail:
                throw CliFailure.Install(fail.Message);
            case FakeMode.Hang:
                return Hang(options.RecordDirectory, stderr);
            case FakeMode.Garbage:
                Write(stdout, GarbageBytes);
                return 0;
            case FakeMode.Huge huge:
                WriteHuge(stdout, huge.Megabytes);
                return 0;
            case FakeMode.Empty:
                return 0;
            case FakeMode.Crash:
                Write(stderr, Encoding.UTF8.GetBytes(GoPanic));
                return 2;
            case FakeMode.Slow slow:
                Thread.Sleep(slow.Milliseconds);
                break;
        }

        var values = EffectiveValues.Build(arguments.ValuesFiles, arguments.SetArguments);
        var chartVersion = ChartVersion.Resolve(arguments);
        var recording = RecordingMatcher.Match(RecordingCatalogue.LoadBesideExecutable(), chartVersion, values);
        if (recording.ExitCode != 0)
        {
            Write(stdout, recording.Stdout);
            Write(stderr, recording.Stderr);
            return recording.ExitCode;
        }

        var output = FactSubstitution.Apply(recording, values);
        Write(stdout, options.Mode is FakeMode.Truncated ? output[..(output.Length / 2)] : output);
        return 0;
    }

    private static int Hang(string? recordDirectory, Stream stderr)
    {
        // The child inherits stdout and stderr, as a real CLI's helpers would: a caller that kills only this
        // process keeps waiting for end-of-file until the child is gone too.
        var start = new ProcessStartInfo("sleep") { UseShellExecute = false };
        start.ArgumentList.Add("2147483");
        using var child = Process.Start(start) ?? throw new CliFailure(2, "fake cilium: could not start `sleep`\n");
        var pids = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {child.Id}\n");
        if (recordDirectory is not null)
        {
            File.AppendAllText(Path.Combine(recordDirectory, "hang-pids.txt"), pids);
        }

        Write(stderr, Encoding.UTF8.GetBytes($"fake cilium: hanging (pid, child sleep pid: {pids.TrimEnd()})\n"));
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    private static void WriteHuge(Stream stdout, int megabytes)
    {
        const int lineLength = 64; // 16384 lines make one MiB.
        using var buffered = new BufferedStream(stdout, 1 << 16);
        for (var line = 0; line < megabytes * (1 << 20) / lineLength; line++)
        {
            var text = string.Create(CultureInfo.InvariantCulture, $"# fake cilium huge output, line {line:D9} ").PadRight(lineLength - 1, '.') + "\n";
            buffered.Write(Encoding.ASCII.GetBytes(text));
        }

        buffered.Flush();
    }

    private static void Write(Stream stream, byte[] bytes)
    {
        stream.Write(bytes);
        stream.Flush();
    }

    /// <summary>Not YAML (an unclosed flow sequence, tabs, NULs) and not UTF-8 (0xFF, a lone continuation byte,
    /// an overlong sequence and an encoded surrogate).</summary>
    private static readonly byte[] GarbageBytes =
    [
        .. "\u0000\u0001fake cilium garbage: [{\t"u8, 0xFF, 0xFE, 0x80, 0xC0, 0xAF, 0xED, 0xA0, 0x80,
        .. "\n\t::: }}\u0000\n"u8, 0xC3, 0x28, (byte)'\n',
    ];

    private const string GoPanic =
        "panic: runtime error: invalid memory address or nil pointer dereference\n" +
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x2a1b3c4]\n" +
        "\n" +
        "goroutine 1 [running]:\n" +
        "github.com/cilium/cilium/cilium-cli/install.(*K8sInstaller).fake-crash(...)\n" +
        "\t/fake/cilium-cli/install/install.go:1 +0x1d\n" +
        "main.main()\n" +
        "\t/fake/cilium-cli/cmd/cilium/main.go:1 +0x25\n";
}
