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
        try
        {
            return Loaded($"kubeconfig {path}", () => KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context));
        }
        catch (KubeConfigException e) when (e.InnerException is { } failure
            && failure.Message.StartsWith("external exec failed", StringComparison.Ordinal)
            && ExecPlugin(path, context) is { } plugin)
        {
            // The library reports a plugin that printed nothing (typically: the user is not logged in, and the plugin
            // says so on stderr, which the user sees) as a JSON exception with its stack trace.
            var detail = failure.Message.Contains("deserialization", StringComparison.Ordinal)
                ? "it printed no ExecCredential JSON (its own error output, if any, is above)"
                : FirstLine(failure.Message);
            throw new KubeConfigException($"kubeconfig {path}: the exec credential plugin of user \"{plugin.User}\" ({plugin.Command}) gave no credential: {detail}", failure);
        }
    }

    /// <summary>The user and exec command of the context, when the kubeconfig names one; null when it cannot tell.</summary>
    private static (string User, string Command)? ExecPlugin(string path, string? context)
    {
        try
        {
            var config = KubernetesClientConfiguration.LoadKubeConfig(path);
            var contextName = context ?? config.CurrentContext;
            var userName = config.Contexts?.FirstOrDefault(c => c.Name == contextName)?.ContextDetails?.User;
            var exec = config.Users?.FirstOrDefault(u => u.Name == userName)?.UserCredentials?.ExternalExecution;
            return userName is not null && exec?.Command is { } command ? (userName, command) : null;
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            return null;
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].TrimEnd();

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
            throw new KubeConfigException($"{source}: {FirstLine(e.Message)}", e);
        }
    }
}
