namespace CapiCiliumAddon.Processes.Tests;

using System.Diagnostics;
using static ProcessTestSupport;

/// <summary>Each script starts a grandchild that would outlive its parent by minutes unless the runner kills the whole tree.</summary>
[TestFixture]
public sealed class ProcessRunnerTerminationTests
{
    private const string ScriptWithSleepingGrandchild = "echo started >&2; echo $$ > \"$1\"; sleep 300 & echo $! > \"$2\"; wait";

    private readonly List<int> pidsToCleanUp = [];
    private DirectoryInfo scratch = null!;

    [SetUp]
    public void CreateScratchDirectory() => scratch = Directory.CreateTempSubdirectory("processes-tests-");

    [TearDown]
    public void CleanUp()
    {
        // A failing test must not leave a five-minute sleep behind for the other engineers' builds.
        pidsToCleanUp.ForEach(KillIfRunning);
        scratch.Delete(recursive: true);
    }

    [Test]
    public async Task Timeout_kills_the_whole_tree_and_reports_stderr_so_far()
    {
        var (childPidFile, grandchildPidFile) = PidFiles();
        var spec = Shell(ScriptWithSleepingGrandchild, childPidFile, grandchildPidFile) with { Timeout = TimeSpan.FromSeconds(1) };

        var stopwatch = Stopwatch.StartNew();
        var exception = Assert.ThrowsAsync<ProcessTimeoutException>(() => new ProcessRunner().RunBounded(spec))!;
        stopwatch.Stop();

        Assert.That(exception.FileName, Is.EqualTo("/bin/sh"));
        Assert.That(exception.StandardError, Is.EqualTo("started\n"));
        Assert.That(stopwatch.Elapsed, Is.LessThan(GenerousBound));
        await AssertTreeStoppedAsync(childPidFile, grandchildPidFile);
    }

    [TestCase("", "stdout")]
    [TestCase(">&2", "stderr")]
    public async Task Output_beyond_the_limit_kills_the_whole_tree(string redirect, string streamName)
    {
        var (childPidFile, grandchildPidFile) = PidFiles();
        var script = $"echo $$ > \"$1\"; head -c 52428800 /dev/zero {redirect} & echo $! > \"$2\"; wait";
        var spec = Shell(script, childPidFile, grandchildPidFile) with { MaxOutputBytes = 1024 * 1024 };

        var exception = Assert.ThrowsAsync<ProcessOutputLimitException>(() => new ProcessRunner().RunBounded(spec))!;

        Assert.That(exception.StreamName, Is.EqualTo(streamName));
        Assert.That(exception.LimitBytes, Is.EqualTo(1024 * 1024));
        Assert.That(exception.Message, Does.Contain(streamName).And.Contain("1048576"));
        await AssertTreeStoppedAsync(childPidFile, grandchildPidFile);
    }

    [Test]
    public async Task Output_exactly_at_the_limit_is_accepted()
    {
        var spec = Shell("head -c 1048576 /dev/zero") with { MaxOutputBytes = 1024 * 1024 };

        var result = await new ProcessRunner().RunBounded(spec);

        Assert.That(result.StandardOutput, Has.Length.EqualTo(1024 * 1024));
    }

    [Test]
    public async Task Cancellation_kills_the_whole_tree_and_throws_OperationCanceledException()
    {
        var (childPidFile, grandchildPidFile) = PidFiles();
        using var cancellation = new CancellationTokenSource();
        var run = new ProcessRunner().RunBounded(Shell(ScriptWithSleepingGrandchild, childPidFile, grandchildPidFile), cancellation.Token);
        TrackForCleanUp(await ReadPidFileAsync(childPidFile));
        TrackForCleanUp(await ReadPidFileAsync(grandchildPidFile));

        await cancellation.CancelAsync();

        Assert.CatchAsync<OperationCanceledException>(() => run);
        await AssertTreeStoppedAsync(childPidFile, grandchildPidFile);
    }

    [Test]
    public void An_already_cancelled_token_starts_nothing()
    {
        var marker = Path.Combine(scratch.FullName, "started");

        Assert.CatchAsync<OperationCanceledException>(
            () => new ProcessRunner().RunBounded(Shell("touch \"$1\"", marker), new CancellationToken(canceled: true)));
        Assert.That(File.Exists(marker), Is.False);
    }

    [Test]
    public async Task A_grandchild_holding_stdout_after_the_child_exited_does_not_block_the_result()
    {
        var grandchildPidFile = Path.Combine(scratch.FullName, "grandchild.pid");
        var runner = new ProcessRunner(pipeDrainTimeout: TimeSpan.FromMilliseconds(500));

        var run = runner.RunBounded(Shell("sleep 300 & echo $! > \"$1\"; echo done", grandchildPidFile));
        TrackForCleanUp(await ReadPidFileAsync(grandchildPidFile));
        var result = await run;

        Assert.That(result.ExitCode, Is.Zero);
        Assert.That(result.StandardOutput, Is.EqualTo("done\n"));
    }

    private (string Child, string Grandchild) PidFiles() =>
        (Path.Combine(scratch.FullName, "child.pid"), Path.Combine(scratch.FullName, "grandchild.pid"));

    private void TrackForCleanUp(int pid) => pidsToCleanUp.Add(pid);

    private async Task AssertTreeStoppedAsync(string childPidFile, string grandchildPidFile)
    {
        var childPid = await ReadPidFileAsync(childPidFile);
        var grandchildPid = await ReadPidFileAsync(grandchildPidFile);
        TrackForCleanUp(childPid);
        TrackForCleanUp(grandchildPid);
        await AssertStopsRunningAsync(childPid, "The child");
        await AssertStopsRunningAsync(grandchildPid, "The grandchild");
    }
}
