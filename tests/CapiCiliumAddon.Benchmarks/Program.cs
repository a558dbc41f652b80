using BenchmarkDotNet.Running;
using CapiCiliumAddon.Benchmarks;

// `restart ...` and `burst ...`: the controller measurements (console modes, not BenchmarkDotNet); `apiserver ...`: the
// API server `burst --api-server process` runs in a child process; anything else: BenchmarkDotNet.
if (args is ["restart", .. var rest])
{
    return await ControllerRestart.RunAsync(rest);
}

if (args is ["burst", .. var burst])
{
    return await ControllerBurst.RunAsync(burst);
}

if (args is ["apiserver", .. var server])
{
    return await BenchmarkApiServer.RunAsync(server);
}

BenchmarkSwitcher.FromAssembly(typeof(StageBenchmarks).Assembly).Run(args);
return 0;
