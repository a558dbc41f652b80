using System.CommandLine;
using CapiCiliumAddon.Kubernetes;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>How the commands that talk to a management cluster find it. In-cluster configuration when neither is given.</summary>
public sealed class KubernetesOptions
{
    public Option<string?> Kubeconfig { get; } = new("--kubeconfig")
    {
        Description = "Kubeconfig file; exec credential plugins, tokens and client certificates work (default: the first file of $KUBECONFIG, else in-cluster, else ~/.kube/config).",
    };

    public Option<string?> Context { get; } = new("--context") { Description = "Kubeconfig context (default: the current one)." };

    public Option<string?> Namespace { get; } = new("--namespace", "-n") { Description = "Only Clusters in this namespace (default: all namespaces)." };

    public void AddTo(Command command)
    {
        command.Options.Add(Kubeconfig);
        command.Options.Add(Context);
        command.Options.Add(Namespace);
    }

    /// <exception cref="k8s.Exceptions.KubeConfigException">The kubeconfig (or in-cluster configuration) cannot be used.</exception>
    public KubernetesClient CreateClient(ParseResult parseResult) =>
        new(KubernetesConfiguration.Load(parseResult.GetValue(Kubeconfig), parseResult.GetValue(Context)));

    /// <summary>
    /// v1beta2 is the storage version since Cluster API 1.11; v1beta1 is still served (DESIGN.md §2). Ask the server
    /// which it serves rather than assume.
    /// </summary>
    public static async Task<(ResourceType Cluster, ResourceType ClusterResourceSet)> DiscoverAsync(KubernetesClient client, CancellationToken cancellationToken)
    {
        var cluster = await client.ResolveAsync(ResourceType.Cluster, cancellationToken).ConfigureAwait(false);
        var crs = await client.ResolveAsync(ResourceType.ClusterResourceSet, cancellationToken).ConfigureAwait(false);
        return (cluster, crs);
    }
}
