using k8s;
using k8s.Exceptions;

namespace CapiCiliumAddon.Kubernetes;

/// <summary>Where the management cluster is and how to authenticate, through the library's kubeconfig and in-cluster loaders.</summary>
public static class KubernetesConfiguration
{
    public const string KubeconfigVariable = "KUBECONFIG";

    /// <summary>
    /// <paramref name="kubeconfig"/> when given; else the first file of $KUBECONFIG; else the pod's service account
    /// (token re-read every minute) when running in a cluster and no context is asked for; else ~/.kube/config.
    /// <paramref name="context"/> defaults to the file's current-context. The library runs an exec credential plugin
    /// here already, so a broken plugin fails now. Every failure is a <see cref="KubeConfigException"/> that names the
    /// file (or the service account) and the cause.
    /// </summary>
    public static KubernetesClientConfiguration Load(string? kubeconfig = null, string? context = null)
    {
        var path = kubeconfig ?? FirstOfKubeconfigVariable();
        if (path is null && context is null && KubernetesClientConfiguration.IsInCluster())
        {
            return Loaded("the in-cluster service account", KubernetesClientConfiguration.InClusterConfig);
        }

        path ??= KubernetesClientConfiguration.KubeConfigDefaultLocation;
        return Loaded($"kubeconfig {path}", () => KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context));
    }

    private static string? FirstOfKubeconfigVariable() =>
        Environment.GetEnvironmentVariable(KubeconfigVariable)?
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault();

    private static KubernetesClientConfiguration Loaded(string source, Func<KubernetesClientConfiguration> load)
    {
        try
        {
            return load();
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            // The library reports bad input as KubeConfigException, YAML, base64 and certificate errors, and (for the
            // removed auth-provider plugins) a bare Exception: one type, naming the source, is what callers can handle.
            throw new KubeConfigException($"{source}: {e.Message}", e);
        }
    }
}
