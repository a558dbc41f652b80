using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace CapiCiliumAddon.Kubernetes;

/// <summary>
/// Where the API server is and how to authenticate: from a kubeconfig (<see cref="FromKubeConfig"/>), from the pod's
/// service account (<see cref="InCluster"/>), or whichever applies (<see cref="Default"/>).
/// </summary>
public sealed class KubernetesClientConfiguration
{
    public const string DefaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    public required Uri Server { get; init; }

    /// <summary>Trusted roots for the server's certificate; null means the system trust store.</summary>
    public X509Certificate2Collection? CertificateAuthorities { get; init; }

    public bool SkipTlsVerify { get; init; }

    /// <summary>kubeconfig tls-server-name: the name expected in the server's certificate, when it differs from the URL host.</summary>
    public string? TlsServerName { get; init; }

    public X509Certificate2? ClientCertificate { get; init; }

    public BearerTokenSource? Token { get; init; }

    /// <summary>The context's namespace, or the service account's.</summary>
    public string? Namespace { get; init; }

    /// <summary>The kubeconfig context used, or null in-cluster.</summary>
    public string? ContextName { get; init; }

    /// <summary>A handler carrying TLS settings, client certificate and bearer token. The caller owns it.</summary>
    public HttpMessageHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(15),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(15),
        };
        if (TlsServerName is not null)
        {
            handler.SslOptions.TargetHost = TlsServerName;
        }

        if (ClientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [ClientCertificate];
        }

        if (SkipTlsVerify)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (CertificateAuthorities is { Count: > 0 } roots)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                ValidateWithRoots(roots, certificate, chain, errors);
        }

        return Token is null ? handler : new BearerTokenHandler(Token, handler);
    }

    /// <summary>Accepts the server's certificate only if it chains to one of <paramref name="roots"/> and names the host.</summary>
    public static bool ValidateWithRoots(X509Certificate2Collection roots, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    // ---- in-cluster ----

    /// <summary>
    /// The pod's service account: KUBERNETES_SERVICE_HOST/PORT, and token, ca.crt, namespace under
    /// <paramref name="serviceAccountDirectory"/>. The token is re-read every <paramref name="tokenRefreshInterval"/> (default one minute).
    /// </summary>
    public static KubernetesClientConfiguration InCluster(
        string serviceAccountDirectory = DefaultServiceAccountDirectory,
        string? host = null,
        string? port = null,
        TimeSpan? tokenRefreshInterval = null,
        TimeProvider? timeProvider = null)
    {
        host ??= Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
        port ??= Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
        {
            throw new KubeConfigException("not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set");
        }

        var tokenFile = Path.Combine(serviceAccountDirectory, "token");
        if (!File.Exists(tokenFile))
        {
            throw new KubeConfigException($"in-cluster configuration: the service account token {tokenFile} does not exist (is automountServiceAccountToken off?)");
        }

        var caFile = Path.Combine(serviceAccountDirectory, "ca.crt");
        var namespaceFile = Path.Combine(serviceAccountDirectory, "namespace");
        if (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('['))
        {
            host = $"[{host}]"; // IPv6
        }

        return new KubernetesClientConfiguration
        {
            Server = new Uri($"https://{host}:{port}/"),
            CertificateAuthorities = File.Exists(caFile) ? LoadPemBundle(File.ReadAllText(caFile), caFile) : null,
            Token = BearerTokenSource.FromFile(tokenFile, tokenRefreshInterval ?? TimeSpan.FromMinutes(1), timeProvider),
            Namespace = File.Exists(namespaceFile) ? File.ReadAllText(namespaceFile).Trim() : null,
        };
    }

    /// <summary>
    /// An explicit kubeconfig or context wins; else in-cluster when KUBERNETES_SERVICE_HOST is set; else the default kubeconfig.
    /// </summary>
    public static KubernetesClientConfiguration Default(string? kubeconfig = null, string? context = null)
    {
        if (kubeconfig is not null || context is not null)
        {
            return FromKubeConfig(kubeconfig, context);
        }

        return string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"))
            ? FromKubeConfig()
            : InCluster();
    }

    // ---- kubeconfig ----

    /// <summary>The first entry of $KUBECONFIG, else ~/.kube/config.</summary>
    public static string DefaultKubeConfigPath()
    {
        var env = Environment.GetEnvironmentVariable("KUBECONFIG");
        var first = env?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return first ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
    }

    /// <summary>Reads a kubeconfig; <paramref name="context"/> defaults to its current-context.</summary>
    public static KubernetesClientConfiguration FromKubeConfig(string? path = null, string? context = null)
    {
        path ??= DefaultKubeConfigPath();
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KubeConfigException($"cannot read kubeconfig {path}: {ex.Message}", ex);
        }

        return Parse(text, Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", context, path);
    }

    /// <summary>Parses kubeconfig YAML; relative file paths resolve against <paramref name="baseDirectory"/>.</summary>
    public static KubernetesClientConfiguration Parse(string yaml, string baseDirectory, string? context = null, string source = "kubeconfig")
    {
        ArgumentNullException.ThrowIfNull(yaml);
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            root = stream.Documents.FirstOrDefault()?.RootNode as YamlMappingNode
                ?? throw new KubeConfigException($"{source} is empty or not a YAML mapping");
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            throw new KubeConfigException($"{source} is not valid YAML: {ex.Message}", ex);
        }

        var contextName = context ?? Scalar(root, "current-context");
        if (string.IsNullOrEmpty(contextName))
        {
            throw new KubeConfigException($"{source} has no current-context; pass a context");
        }

        var ctx = Named(root, "contexts", "context", contextName)
            ?? throw new KubeConfigException($"{source} has no context \"{contextName}\" (contexts: {string.Join(", ", Names(root, "contexts"))})");
        var clusterName = Scalar(ctx, "cluster") ?? throw new KubeConfigException($"context \"{contextName}\" in {source} names no cluster");
        var cluster = Named(root, "clusters", "cluster", clusterName)
            ?? throw new KubeConfigException($"{source}: context \"{contextName}\" names cluster \"{clusterName}\", which is not defined");
        var userName = Scalar(ctx, "user");
        var user = userName is null ? null : Named(root, "users", "user", userName)
            ?? throw new KubeConfigException($"{source}: context \"{contextName}\" names user \"{userName}\", which is not defined");

        var serverText = Scalar(cluster, "server") ?? throw new KubeConfigException($"{source}: cluster \"{clusterName}\" has no server");
        if (!Uri.TryCreate(serverText, UriKind.Absolute, out var server) || (server.Scheme != "https" && server.Scheme != "http"))
        {
            throw new KubeConfigException($"{source}: cluster \"{clusterName}\" has an invalid server \"{serverText}\"");
        }

        if (Scalar(cluster, "proxy-url") is { Length: > 0 })
        {
            throw new KubeConfigException($"{source}: cluster \"{clusterName}\" uses proxy-url, which this client does not support; use HTTPS_PROXY instead");
        }

        X509Certificate2Collection? roots = null;
        if (Scalar(cluster, "certificate-authority-data") is { Length: > 0 } caData)
        {
            roots = LoadPemBundle(DecodeBase64(caData, $"cluster \"{clusterName}\" certificate-authority-data"), $"cluster \"{clusterName}\" certificate-authority-data");
        }
        else if (Scalar(cluster, "certificate-authority") is { Length: > 0 } caFile)
        {
            var file = Resolve(baseDirectory, caFile);
            roots = LoadPemBundle(ReadFile(file, "certificate-authority"), file);
        }

        var insecure = string.Equals(Scalar(cluster, "insecure-skip-tls-verify"), "true", StringComparison.OrdinalIgnoreCase);

        X509Certificate2? clientCertificate = null;
        BearerTokenSource? token = null;
        if (user is not null)
        {
            if (user.Children.ContainsKey(new YamlScalarNode("exec")))
            {
                var command = user["exec"] is YamlMappingNode exec ? Scalar(exec, "command") : null;
                throw new KubeConfigException(
                    $"{source}: user \"{userName}\" authenticates with an exec credential plugin{(command is null ? "" : $" ({command})")}, which this client does not support. " +
                    "Use a kubeconfig whose user has a client certificate (client-certificate-data/client-key-data) or a token, " +
                    "e.g. a service account token from `kubectl create token`, or run in-cluster.");
            }

            if (user.Children.ContainsKey(new YamlScalarNode("auth-provider")))
            {
                throw new KubeConfigException(
                    $"{source}: user \"{userName}\" authenticates with an auth-provider, which this client does not support (auth-provider plugins were removed from kubectl). " +
                    "Use a kubeconfig whose user has a client certificate or a token (e.g. `kubectl create token`), or run in-cluster.");
            }

            string? certPem = null;
            string? keyPem = null;
            if (Scalar(user, "client-certificate-data") is { Length: > 0 } certData)
            {
                certPem = DecodeBase64(certData, $"user \"{userName}\" client-certificate-data");
            }
            else if (Scalar(user, "client-certificate") is { Length: > 0 } certFile)
            {
                certPem = ReadFile(Resolve(baseDirectory, certFile), "client-certificate");
            }

            if (Scalar(user, "client-key-data") is { Length: > 0 } keyData)
            {
                keyPem = DecodeBase64(keyData, $"user \"{userName}\" client-key-data");
            }
            else if (Scalar(user, "client-key") is { Length: > 0 } keyFile)
            {
                keyPem = ReadFile(Resolve(baseDirectory, keyFile), "client-key");
            }

            if (certPem is not null || keyPem is not null)
            {
                if (certPem is null || keyPem is null)
                {
                    throw new KubeConfigException($"{source}: user \"{userName}\" has a client certificate without a key or a key without a certificate");
                }

                clientCertificate = LoadClientCertificate(certPem, keyPem, $"user \"{userName}\"");
            }

            if (Scalar(user, "token") is { Length: > 0 } tokenText)
            {
                token = BearerTokenSource.FromToken(tokenText);
            }
            else if (Scalar(user, "tokenFile") is { Length: > 0 } tokenFile)
            {
                token = BearerTokenSource.FromFile(Resolve(baseDirectory, tokenFile));
            }

            if (clientCertificate is null && token is null && Scalar(user, "username") is not null)
            {
                throw new KubeConfigException($"{source}: user \"{userName}\" uses basic auth (username/password), which Kubernetes no longer supports; use a client certificate or a token");
            }
        }

        return new KubernetesClientConfiguration
        {
            Server = server,
            CertificateAuthorities = roots,
            SkipTlsVerify = insecure,
            TlsServerName = Scalar(cluster, "tls-server-name") is { Length: > 0 } tlsName ? tlsName : null,
            ClientCertificate = clientCertificate,
            Token = token,
            Namespace = Scalar(ctx, "namespace") is { Length: > 0 } ns ? ns : null,
            ContextName = contextName,
        };
    }

    private static X509Certificate2 LoadClientCertificate(string certPem, string keyPem, string what)
    {
        try
        {
            using var ephemeral = X509Certificate2.CreateFromPem(certPem, keyPem);

            // SslStream on some platforms cannot use an ephemeral (PEM-imported) key; a PKCS#12 round trip makes it persistable.
            return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException ex)
        {
            throw new KubeConfigException($"{what}: cannot load the client certificate and key: {ex.Message}", ex);
        }
    }

    private static X509Certificate2Collection LoadPemBundle(string pem, string what)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            throw new KubeConfigException($"{what}: not a PEM certificate bundle: {ex.Message}", ex);
        }

        if (collection.Count == 0)
        {
            throw new KubeConfigException($"{what}: contains no PEM certificate");
        }

        return collection;
    }

    private static string DecodeBase64(string data, string what)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(data.Trim()));
        }
        catch (FormatException ex)
        {
            throw new KubeConfigException($"{what} is not valid base64", ex);
        }
    }

    private static string ReadFile(string path, string what)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KubeConfigException($"cannot read {what} file {path}: {ex.Message}", ex);
        }
    }

    private static string Resolve(string baseDirectory, string path)
    {
        if (path.StartsWith("~/", StringComparison.Ordinal))
        {
            path = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..]);
        }

        return Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(baseDirectory, path));
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;

    private static YamlMappingNode? Named(YamlMappingNode root, string listKey, string itemKey, string name)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode(listKey), out var list) || list is not YamlSequenceNode sequence)
        {
            return null;
        }

        foreach (var entry in sequence.Children.OfType<YamlMappingNode>())
        {
            if (Scalar(entry, "name") == name)
            {
                return entry.Children.TryGetValue(new YamlScalarNode(itemKey), out var item) && item is YamlMappingNode mapping
                    ? mapping
                    : new YamlMappingNode();
            }
        }

        return null;
    }

    private static IEnumerable<string> Names(YamlMappingNode root, string listKey) =>
        root.Children.TryGetValue(new YamlScalarNode(listKey), out var list) && list is YamlSequenceNode sequence
            ? sequence.Children.OfType<YamlMappingNode>().Select(e => Scalar(e, "name") ?? "?")
            : [];
}

/// <summary>The kubeconfig or in-cluster configuration cannot be used; the message says why and what to do.</summary>
public sealed class KubeConfigException : Exception
{
    public KubeConfigException(string message)
        : base(message)
    {
    }

    public KubeConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
