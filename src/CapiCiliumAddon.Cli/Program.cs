using System.CommandLine;

var root = new RootCommand("capi-cilium: bootstrap-safe Cilium for Cluster API clusters through ClusterResourceSets.");
return await root.Parse(args).InvokeAsync();
