using System.Runtime.CompilerServices;

// The server certificate check is internal; its tests give it the verdicts of a system trust store they cannot change.
[assembly: InternalsVisibleTo("CapiCiliumAddon.Kubernetes.Tests")]
