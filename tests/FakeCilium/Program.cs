using FakeCilium;

// A stand-in for the Cilium CLI that replays real recorded runs (see README.md in this folder).
return FakeCli.Run(args, Console.OpenStandardOutput(), Console.OpenStandardError());
