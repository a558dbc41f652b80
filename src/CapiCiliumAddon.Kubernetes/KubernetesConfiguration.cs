using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Kubernetes;

/// <summary>Where the management cluster is and how to authenticate, through the library's kubeconfig and in-cluster loaders.</summary>
public static class KubernetesConfiguration
{
    public const string KubeconfigVariable = "KUBECONFIG";

    /// <summary>
    /// <paramref name="kubeconfig"/> when given; else the first file of $KUBECONFIG; else the pod's service account
    /// (token re-read every minute) when running in a cluster and no context is asked for; else ~/.kube/config.
    /// <paramref name="context"/> defaults to the file's current-context. The library runs an exec credential plugin
    /// here already, so a broken plugin fails now. A user's <c>tokenFile</c>, which the library does not know, is
    /// read here too (see <see cref="BearerTokenFile"/>). Every failure is a <see cref="KubeConfigException"/> that
    /// names the file (or the service account) and the cause.
    /// </summary>
    /// <param name="timeProvider">The clock that decides when a <c>tokenFile</c> is read again.</param>
    public static KubernetesClientConfiguration Load(string? kubeconfig = null, string? context = null, TimeProvider? timeProvider = null)
    {
        var path = kubeconfig ?? FirstOfKubeconfigVariable();
        if (path is null && context is null && KubernetesClientConfiguration.IsInCluster())
        {
            return Loaded("the in-cluster service account", KubernetesClientConfiguration.InClusterConfig);
        }

        path ??= KubernetesClientConfiguration.KubeConfigDefaultLocation;
        try
        {
            return Loaded($"kubeconfig {path}", () => FromFile(path, context, timeProvider ?? TimeProvider.System));
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

    private static KubernetesClientConfiguration FromFile(string path, string? context, TimeProvider time)
    {
        var kubeconfig = KubernetesClientConfiguration.LoadKubeConfig(path);
        var user = SelectedUser(kubeconfig, context);
        var tokenFile = user is null ? null : TokenFileOf(path, kubeconfig, user);
        string? readNow = null;
        if (tokenFile is not null && string.IsNullOrWhiteSpace(user!.UserCredentials?.Token))
        {
            // Like client-go, the file is read now only when there is no token to fall back on. The library's loader
            // refuses a user without a credential it knows, so it is handed the file's token.
            readNow = BearerTokenFile.TryRead(tokenFile, out var failure)
                ?? throw new KubeConfigException($"user \"{user.Name}\": cannot read its tokenFile {tokenFile}: {failure}");
            user.UserCredentials ??= new UserCredentials();
            user.UserCredentials.Token = readNow;
        }

        var configuration = KubernetesClientConfiguration.BuildConfigFromConfigObject(kubeconfig, context);
        if (tokenFile is not null)
        {
            configuration.TokenProvider = new BearerTokenFile(tokenFile, readNow ?? user!.UserCredentials!.Token, initialIsFromFile: readNow is not null, time);
        }

        return configuration;
    }

    /// <summary>The user of the context, found as the library finds it (names compared ignoring case); null when there is none.</summary>
    private static User? SelectedUser(K8SConfiguration kubeconfig, string? context)
    {
        var contextName = context ?? kubeconfig.CurrentContext;
        var userName = kubeconfig.Contexts?.FirstOrDefault(c => string.Equals(c.Name, contextName, StringComparison.OrdinalIgnoreCase))?.ContextDetails?.User;
        return userName is null ? null : kubeconfig.Users?.FirstOrDefault(u => string.Equals(u.Name, userName, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The user's <c>tokenFile</c>, absolute (a relative path is taken from the kubeconfig's directory, as client-go
    /// does), or null. The library's model has no such field, so it is read from the YAML itself: the same entry of
    /// <c>users</c>, by position.
    /// </summary>
    private static string? TokenFileOf(string path, K8SConfiguration kubeconfig, User user)
    {
        var position = kubeconfig.Users.TakeWhile(u => !ReferenceEquals(u, user)).Count();
        var yaml = new YamlStream();
        using (var reader = File.OpenText(path))
        {
            yaml.Load(reader);
        }

        if (yaml.Documents.FirstOrDefault()?.RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue("users", out var users) || users is not YamlSequenceNode { Children: var entries }
            || position >= entries.Count || entries[position] is not YamlMappingNode entry
            || !entry.Children.TryGetValue("user", out var credentials) || credentials is not YamlMappingNode fields
            || !fields.Children.TryGetValue("tokenFile", out var tokenFile) || tokenFile is not YamlScalarNode { Value: { Length: > 0 } file })
        {
            return null;
        }

        return Path.GetFullPath(file, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>The user and exec command of the context, when the kubeconfig names one; null when it cannot tell.</summary>
    private static (string User, string Command)? ExecPlugin(string path, string? context)
    {
        try
        {
            var user = SelectedUser(KubernetesClientConfiguration.LoadKubeConfig(path), context);
            return user?.UserCredentials?.ExternalExecution?.Command is { } command ? (user.Name, command) : null;
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
