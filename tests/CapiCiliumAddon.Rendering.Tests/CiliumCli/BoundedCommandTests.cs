using System.Runtime.Versioning;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Testing;
using CliWrap;
using static CapiCiliumAddon.Rendering.Tests.CiliumCli.BoundedCommandSupport;

namespace CapiCiliumAddon.Rendering.Tests.CiliumCli;

/// <summary>What every Cilium CLI run relies on: argv only, exactly the given environment, stdin closed, exit codes returned.</summary>
[SupportedOSPlatform("linux")]
public sealed class BoundedCommandTests
{
    [Test]
    public async Task Arguments_reach_the_child_literally_without_any_shell_interpretation()
    {
        string[] arguments =
        [
            "two words", "\"double\" and 'single' quotes", "$(id)", "`id`", "a;b", "*", "--set", "a=b,c=d", "",
            "$HOME", "back\\slash", "trailing\\", "\\\"escaped\\\"", "ünïcødé", "> /dev/null",
        ];

        var result = await RunBounded(Cli.Wrap("/usr/bin/printf").WithArguments(["%s\n", .. arguments]));

        Assert.That(result.ExitCode, Is.Zero, result.StandardError);
        Assert.That(result.StandardOutput.Split('\n')[..^1], Is.EqualTo(arguments));
    }

    [Test]
    public async Task The_child_sees_exactly_the_given_environment_and_nothing_of_ours()
    {
        // CliWrap merges into the inherited environment; these are the variables that would point the Cilium CLI at a cluster.
        string[] parentOnly = ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "CILIUM_NAMESPACE", "CAPI_BOUNDED_COMMAND_TEST_INHERITED"];
        foreach (var name in parentOnly)
        {
            Environment.SetEnvironmentVariable(name, "must-not-leak");
        }

        try
        {
            var environment = new Dictionary<string, string>
            {
                ["KUBECONFIG"] = "/tmp/isolated kubeconfig",
                ["EMPTY"] = string.Empty,
                ["WITH_EQUALS"] = "a=b,c=d",
                ["PATH"] = "/usr/bin:/bin",
            };

            var result = await RunBounded(Cli.Wrap("/usr/bin/env").WithExactEnvironment(environment));

            var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal);
            Assert.That(lines, Is.EqualTo(environment.Select(pair => $"{pair.Key}={pair.Value}").Order(StringComparer.Ordinal)));
        }
        finally
        {
            foreach (var name in parentOnly)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    [Test]
    public async Task A_failing_child_is_reported_through_its_exit_code_and_stderr_not_an_exception()
    {
        var result = await RunBounded(Shell("echo partial; echo 'Error: cluster.name is required' >&2; exit 3"));

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
        // The run's timeout is shorter than the bound, so stdin left open fails with a clear timeout exception.
        var result = await RunBounded(Cli.Wrap("/bin/cat"), new CommandLimits(TimeSpan.FromSeconds(10), 1024));

        Assert.That(result.ExitCode, Is.Zero);
        Assert.That(result.StandardOutput, Is.Empty);
    }

    [Test]
    public async Task Output_is_decoded_as_utf8_with_invalid_bytes_replaced()
    {
        var result = await RunBounded(Cli.Wrap("/usr/bin/printf").WithArguments(["caf\\303\\251 \\377 \\342\\234\\223"]));

        Assert.That(result.StandardOutput, Is.EqualTo("café \uFFFD ✓"));
    }
}

[SupportedOSPlatform("linux")]
public sealed class BoundedCommandStartFailureTests
{
    private TempDirectory _scratch = null!;

    [SetUp]
    public void CreateScratchDirectory() => _scratch = new TempDirectory();

    [TearDown]
    public void DeleteScratchDirectory() => _scratch.Dispose();

    [Test]
    public void A_missing_binary_names_the_path_and_the_reason()
    {
        var path = _scratch.Combine("cilium");

        var exception = Assert.ThrowsAsync<CommandStartException>(() => RunBounded(Cli.Wrap(path).WithArguments(["version"])))!;

        Assert.That(exception.FileName, Is.EqualTo(path));
        Assert.That(exception.Message, Does.Contain(path).And.Contain("No such file or directory"));
    }

    [Test]
    public void A_binary_missing_from_PATH_names_it()
    {
        var exception = Assert.ThrowsAsync<CommandStartException>(() => RunBounded(Cli.Wrap("capi-cilium-addon-no-such-binary")))!;

        Assert.That(exception.Message, Does.Contain("capi-cilium-addon-no-such-binary"));
    }

    [Test]
    public async Task A_file_without_execute_permission_names_the_path_and_the_reason()
    {
        var path = _scratch.Combine("cilium");
        await File.WriteAllTextAsync(path, "#!/bin/sh\necho should not run\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var exception = Assert.ThrowsAsync<CommandStartException>(() => RunBounded(Cli.Wrap(path)))!;

        Assert.That(exception.FileName, Is.EqualTo(path));
        Assert.That(exception.Message, Does.Contain(path).And.Contain("Permission denied"));
    }

    [Test]
    public void A_missing_working_directory_is_a_start_failure_that_names_it()
    {
        var missing = _scratch.Combine("gone");

        var exception = Assert.ThrowsAsync<CommandStartException>(() => RunBounded(Cli.Wrap("/bin/ls").WithWorkingDirectory(missing)))!;

        Assert.That(exception.Message, Does.Contain($"the working directory '{missing}' does not exist"));
    }
}

/// <summary>Each script starts a grandchild that would outlive its parent by minutes unless the whole tree is killed.</summary>
[SupportedOSPlatform("linux")]
public sealed class BoundedCommandTerminationTests
{
    private const string ScriptWithSleepingGrandchild = "echo started >&2; echo $$ > \"$1\"; sleep 300 & echo $! > \"$2\"; wait";

    private readonly List<int> _pidsToCleanUp = [];
    private TempDirectory _scratch = null!;

    [SetUp]
    public void CreateScratchDirectory() => _scratch = new TempDirectory();

    [TearDown]
    public void CleanUp()
    {
        // A failing test must not leave a five-minute sleep behind for the other engineers' builds.
        _pidsToCleanUp.ForEach(KillIfRunning);
        _scratch.Dispose();
    }

    [Test]
    public async Task Timeout_kills_the_whole_tree_and_reports_stderr_so_far()
    {
        var (childPidFile, grandchildPidFile) = PidFiles();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var exception = Assert.ThrowsAsync<CommandTimeoutException>(() => RunBounded(
            Shell(ScriptWithSleepingGrandchild, childPidFile, grandchildPidFile), new CommandLimits(TimeSpan.FromSeconds(1), 1024)))!;
        clock.Stop();

        Assert.That(exception.FileName, Is.EqualTo("/bin/sh"));
        Assert.That(exception.StandardError, Is.EqualTo("started\n"));
        Assert.That(clock.Elapsed, Is.LessThan(GenerousBound));
        await AssertTreeStoppedAsync(childPidFile, grandchildPidFile);
    }

    [TestCase("", "stdout")]
    [TestCase(">&2", "stderr")]
    public async Task Output_beyond_the_limit_kills_the_whole_tree(string redirect, string streamName)
    {
        var (childPidFile, grandchildPidFile) = PidFiles();
        var script = $"echo $$ > \"$1\"; head -c 52428800 /dev/zero {redirect} & echo $! > \"$2\"; wait";

        var exception = Assert.ThrowsAsync<CommandOutputLimitException>(() => RunBounded(
            Shell(script, childPidFile, grandchildPidFile), new CommandLimits(TimeSpan.FromMinutes(2), 1024 * 1024)))!;

        Assert.That(exception.StreamName, Is.EqualTo(streamName));
        Assert.That(exception.LimitBytes, Is.EqualTo(1024 * 1024));
        Assert.That(exception.Message, Does.Contain(streamName).And.Contain("1048576"));
        await AssertTreeStoppedAsync(childPidFile, grandchildPidFile);
    }

    [Test]
    public async Task Output_exactly_at_the_limit_is_accepted()
    {
        var result = await RunBounded(Shell("head -c 1048576 /dev/zero"), new CommandLimits(TimeSpan.FromMinutes(2), 1024 * 1024));

        Assert.That(result.StandardOutput, Has.Length.EqualTo(1024 * 1024));
    }

    [Test]
    public async Task Cancellation_kills_the_whole_tree_and_throws_OperationCanceledException()
    {
        var (childPidFile, grandchildPidFile) = PidFiles();
        using var cancellation = new CancellationTokenSource();
        var run = RunBounded(Shell(ScriptWithSleepingGrandchild, childPidFile, grandchildPidFile), cancellationToken: cancellation.Token);
        _pidsToCleanUp.Add(await ReadPidFileAsync(childPidFile));
        _pidsToCleanUp.Add(await ReadPidFileAsync(grandchildPidFile));

        await cancellation.CancelAsync();

        Assert.CatchAsync<OperationCanceledException>(() => run);
        await AssertTreeStoppedAsync(childPidFile, grandchildPidFile);
    }

    [Test]
    public void An_already_cancelled_token_starts_nothing()
    {
        var marker = _scratch.Combine("started");

        Assert.CatchAsync<OperationCanceledException>(() => RunBounded(Shell("touch \"$1\"", marker), cancellationToken: new CancellationToken(canceled: true)));
        Assert.That(File.Exists(marker), Is.False);
    }

    /// <summary>
    /// A descendant that keeps the output pipes open after the child exited holds the run until the timeout (CliWrap
    /// reads the pipes to their end); the timeout still ends it. The Cilium CLI starts no such descendant.
    /// </summary>
    [Test]
    public async Task A_grandchild_holding_stdout_after_the_child_exited_is_ended_by_the_timeout()
    {
        var grandchildPidFile = _scratch.Combine("grandchild.pid");

        var run = RunBounded(Shell("sleep 300 & echo $! > \"$1\"; echo done", grandchildPidFile), new CommandLimits(TimeSpan.FromSeconds(2), 1024));
        _pidsToCleanUp.Add(await ReadPidFileAsync(grandchildPidFile));

        Assert.ThrowsAsync<CommandTimeoutException>(() => run);
    }

    private (string Child, string Grandchild) PidFiles() => (_scratch.Combine("child.pid"), _scratch.Combine("grandchild.pid"));

    private async Task AssertTreeStoppedAsync(string childPidFile, string grandchildPidFile)
    {
        var childPid = await ReadPidFileAsync(childPidFile);
        var grandchildPid = await ReadPidFileAsync(grandchildPidFile);
        _pidsToCleanUp.Add(childPid);
        _pidsToCleanUp.Add(grandchildPid);
        await AssertStopsRunningAsync(childPid, "The child");
        await AssertStopsRunningAsync(grandchildPid, "The grandchild");
    }
}
