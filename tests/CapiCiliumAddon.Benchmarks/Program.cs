using BenchmarkDotNet.Running;
using CapiCiliumAddon.Benchmarks;

// `restart ...`: the controller-restart measurement (a console mode, not BenchmarkDotNet); anything else: BenchmarkDotNet.
if (args is ["restart", .. var rest])
{
    return await ControllerRestart.RunAsync(rest);
}

BenchmarkSwitcher.FromAssembly(typeof(StageBenchmarks).Assembly).Run(args);
return 0;
