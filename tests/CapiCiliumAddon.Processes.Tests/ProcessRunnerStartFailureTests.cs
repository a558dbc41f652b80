namespace CapiCiliumAddon.Processes.Tests;

using static ProcessTestSupport;

[TestFixture]
public sealed class ProcessRunnerStartFailureTests
{
    private readonly ProcessRunner runner = new();
    private DirectoryInfo scratch = null!;

    [SetUp]
    public void CreateScratchDirectory() => scratch = Directory.CreateTempSubdirectory("processes-tests-");

    [TearDown]
    public void DeleteScratchDirectory() => scratch.Delete(recursive: true);

    [Test]
    public void A_missing_binary_names_the_path_and_the_reason()
    {
        var path = Path.Combine(scratch.FullName, "cilium");

        var exception = Assert.ThrowsAsync<ProcessStartException>(() => runner.RunBounded(new ProcessSpec(path, ["version"])))!;

        Assert.That(exception.FileName, Is.EqualTo(path));
        Assert.That(exception.Message, Does.Contain(path).And.Contain("No such file or directory"));
    }

    [Test]
    public void A_binary_missing_from_PATH_names_it()
    {
        var exception = Assert.ThrowsAsync<ProcessStartException>(
            () => runner.RunBounded(new ProcessSpec("capi-cilium-addon-no-such-binary", [])))!;

        Assert.That(exception.Message, Does.Contain("capi-cilium-addon-no-such-binary"));
    }

    [Test]
    public async Task A_file_without_execute_permission_names_the_path_and_the_reason()
    {
        var path = Path.Combine(scratch.FullName, "cilium");
        await File.WriteAllTextAsync(path, "#!/bin/sh\necho should not run\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var exception = Assert.ThrowsAsync<ProcessStartException>(() => runner.RunBounded(new ProcessSpec(path, [])))!;

        Assert.That(exception.FileName, Is.EqualTo(path));
        Assert.That(exception.Message, Does.Contain(path).And.Contain("Permission denied"));
    }

    [Test]
    public void A_missing_working_directory_is_a_start_failure_that_names_it()
    {
        var missing = Path.Combine(scratch.FullName, "gone");

        var exception = Assert.ThrowsAsync<ProcessStartException>(
            () => runner.RunBounded(new ProcessSpec("/bin/ls", []) { WorkingDirectory = missing }))!;

        Assert.That(exception.Message, Does.Contain($"the working directory '{missing}' does not exist"));
    }
}
