Console.Error.WriteLine("fake cilium: not built yet");
return 2;
