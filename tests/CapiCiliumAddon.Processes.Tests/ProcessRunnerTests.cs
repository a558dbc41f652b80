namespace CapiCiliumAddon.Processes.Tests;

using static ProcessTestSupport;

[TestFixture]
public sealed class ProcessRunnerTests
{
    private readonly ProcessRunner runner = new();
    private DirectoryInfo scratch = null!;

    [SetUp]
    public void CreateScratchDirectory() => scratch = Directory.CreateTempSubdirectory("processes-tests-");

    [TearDown]
    public void DeleteScratchDirectory() => scratch.Delete(recursive: true);

    [Test]
    public async Task Arguments_reach_the_child_literally_without_any_shell_interpretation()
    {
        string[] arguments =
        [
            "two words", "\"double\" and 'single' quotes", "$(id)", "`id`", "a;b", "*", "--set", "a=b,c=d", "",
            "$HOME", "back\\slash", "ünïcødé", "> /dev/null",
        ];

        var result = await runner.RunBounded(new ProcessSpec("/usr/bin/printf", ["%s\n", .. arguments]));

        Assert.That(result.ExitCode, Is.Zero, result.StandardError);
        Assert.That(result.StandardOutput.Split('\n')[..^1], Is.EqualTo(arguments));
    }

    [Test]
    public async Task Environment_replaces_the_inherited_environment_exactly()
    {
        Environment.SetEnvironmentVariable("CAPI_PROCESSES_TEST_INHERITED", "must-not-leak");
        var environment = new Dictionary<string, string>
        {
            ["KUBECONFIG"] = "/tmp/isolated kubeconfig",
            ["EMPTY"] = string.Empty,
            ["WITH_EQUALS"] = "a=b,c=d",
        };

        var result = await runner.RunBounded(new ProcessSpec("/usr/bin/env", []) { Environment = environment });

        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal);
        Assert.That(lines, Is.EqualTo(environment.Select(pair => $"{pair.Key}={pair.Value}").Order(StringComparer.Ordinal)));
    }

    [Test]
    public async Task An_empty_environment_gives_the_child_no_variables_at_all()
    {
        var result = await runner.RunBounded(new ProcessSpec("/usr/bin/env", []) { Environment = new Dictionary<string, string>() });

        Assert.That(result.StandardOutput, Is.Empty);
    }

    [Test]
    public async Task Without_an_environment_the_child_inherits_ours()
    {
        Environment.SetEnvironmentVariable("CAPI_PROCESSES_TEST_INHERITED", "inherited value");

        var result = await runner.RunBounded(new ProcessSpec("/usr/bin/env", []));

        Assert.That(result.StandardOutput.Split('\n'), Does.Contain("CAPI_PROCESSES_TEST_INHERITED=inherited value"));
    }

    [Test]
    public async Task The_child_runs_in_the_working_directory()
    {
        await File.WriteAllTextAsync(Path.Combine(scratch.FullName, "marker-file"), string.Empty);

        var result = await runner.RunBounded(new ProcessSpec("/bin/ls", []) { WorkingDirectory = scratch.FullName });

        Assert.That(result.StandardOutput, Is.EqualTo("marker-file\n"));
    }

    [Test]
    public async Task A_failing_child_is_reported_through_its_exit_code_and_stderr_not_an_exception()
    {
        var result = await runner.RunBounded(Shell("echo partial; echo 'Error: cluster.name is required' >&2; exit 3"));

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(3));
            Assert.That(result.StandardError, Is.EqualTo("Error: cluster.name is required\n"));
            Assert.That(result.StandardOutput, Is.EqualTo("partial\n"));
            Assert.That(result.Duration, Is.GreaterThan(TimeSpan.Zero));
        });
    }

    [Test]
    public async Task A_child_reading_stdin_sees_end_of_input_instead_of_waiting()
    {
        // Our timeout is shorter than the bound, so a runner that left stdin open fails with a clear timeout exception.
        var result = await runner.RunBounded(new ProcessSpec("/bin/cat", []) { Timeout = TimeSpan.FromSeconds(10) });

        Assert.That(result.ExitCode, Is.Zero);
        Assert.That(result.StandardOutput, Is.Empty);
    }

    [Test]
    public async Task Output_is_decoded_as_utf8_with_invalid_bytes_replaced()
    {
        var result = await runner.RunBounded(new ProcessSpec("/usr/bin/printf", ["caf\\303\\251 \\377 \\342\\234\\223"]));

        Assert.That(result.StandardOutput, Is.EqualTo("café \uFFFD ✓"));
    }

    [TestCase("head -c 5242880 /dev/zero >&2; head -c 5242880 /dev/zero", TestName = "Large_stderr_then_large_stdout_complete_without_deadlock")]
    [TestCase("head -c 5242880 /dev/zero; head -c 5242880 /dev/zero >&2", TestName = "Large_stdout_then_large_stderr_complete_without_deadlock")]
    public async Task Large_output_on_both_streams_completes(string script)
    {
        // Writing one stream completely before the other deadlocks any runner that drains the streams one after the other.
        var result = await runner.RunBounded(Shell(script));

        Assert.That(result.StandardOutput, Has.Length.EqualTo(5 * 1024 * 1024));
        Assert.That(result.StandardError, Has.Length.EqualTo(5 * 1024 * 1024));
    }
}
