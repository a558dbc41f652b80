using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests;

/// <summary>
/// A test of the commands against the fake `cilium`, which replays real recorded runs: per test, a fresh temporary
/// folder and the fake, recording each call under <see cref="RecordDirectory"/>. NUnit runs this set-up before the
/// derived class's own.
/// </summary>
public abstract class FakeCiliumTest
{
    protected TempDirectory Temp { get; private set; } = null!;

    /// <summary>The path of the fake `cilium`, to pass as --cilium.</summary>
    protected string Cilium { get; private set; } = null!;

    /// <summary>Where the fake records its invocations (<see cref="FakeCiliumCli.ReadInvocations"/>).</summary>
    protected string RecordDirectory => Temp.Combine("record");

    [SetUp]
    public void CreateWorkspace()
    {
        Temp = new TempDirectory();
        Cilium = FakeCiliumCli.CreateWrapper(Temp.Combine("bin"), "replay", RecordDirectory);
    }

    [TearDown]
    public void DeleteWorkspace() => Temp.Dispose();
}
