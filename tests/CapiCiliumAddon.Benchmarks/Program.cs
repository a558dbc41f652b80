using BenchmarkDotNet.Running;
using CapiCiliumAddon.Benchmarks;

// `restart ...` and `burst ...`: the controller measurements (console modes, not BenchmarkDotNet); anything else: BenchmarkDotNet.
if (args is ["restart", .. var rest])
{
    return await ControllerRestart.RunAsync(rest);
}

if (args is ["burst", .. var burst])
{
    return await ControllerBurst.RunAsync(burst);
}

BenchmarkSwitcher.FromAssembly(typeof(StageBenchmarks).Assembly).Run(args);
return 0;
