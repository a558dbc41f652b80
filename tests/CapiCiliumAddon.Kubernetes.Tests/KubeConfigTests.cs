using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using static CapiCiliumAddon.Kubernetes.Tests.Certificates;

namespace CapiCiliumAddon.Kubernetes.Tests;

public sealed class KubeConfigTests
{
    private static X509Certificate2 ca = null!;
    private static X509Certificate2 serverCert = null!;
    private static X509Certificate2 clientCert = null!;
    private static X509Certificate2 otherCa = null!;
    private string directory = null!;

    [OneTimeSetUp]
    public static void Certificates()
    {
        ca = CreateCa("test-ca");
        otherCa = CreateCa("other-ca");
        serverCert = CreateLeaf(ca, "kube-apiserver", server: true);
        clientCert = CreateLeaf(ca, "capi-cilium-addon", server: false);
    }

    [SetUp]
    public void TempDirectory() => directory = Directory.CreateTempSubdirectory("kubeconfig-test").FullName;

    [TearDown]
    public void Cleanup() => Directory.Delete(directory, recursive: true);

    private string Write(string relative, string content)
    {
        var path = Path.Combine(directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static string KubeConfig(string server, string clusterExtra, string userBlock, string currentContext = "main") => $"""
        apiVersion: v1
        kind: Config
        current-context: {currentContext}
        clusters:
        - name: mgmt
          cluster:
            server: {server}
        {clusterExtra}
        - name: other
          cluster:
            server: https://other.example:6443
            insecure-skip-tls-verify: true
        contexts:
        - name: main
          context:
            cluster: mgmt
            user: admin
            namespace: metal3
        - name: second
          context:
            cluster: other
            user: token-user
        users:
        - name: admin
          user:
        {userBlock}
        - name: token-user
          user:
            token: abc.def
        """;

    private static string Indent(string text, int spaces) =>
        string.Join('\n', text.Split('\n').Select(l => new string(' ', spaces) + l));

    private static string DataUser() => Indent($"client-certificate-data: {Base64(CertPem(clientCert))}\nclient-key-data: {Base64(KeyPem(clientCert))}", 4);

    private static string CaData(X509Certificate2 root) => Indent($"certificate-authority-data: {Base64(CertPem(root))}", 4);

    [Test]
    public void Current_context_and_explicit_context_are_honoured()
    {
        var path = Write("config", KubeConfig("https://mgmt.example:6443", CaData(ca), DataUser()));

        var main = KubernetesClientConfiguration.FromKubeConfig(path);
        Assert.That(main.ContextName, Is.EqualTo("main"));
        Assert.That(main.Server, Is.EqualTo(new Uri("https://mgmt.example:6443")));
        Assert.That(main.Namespace, Is.EqualTo("metal3"));
        Assert.That(main.SkipTlsVerify, Is.False);
        Assert.That(main.CertificateAuthorities!.Single().Thumbprint, Is.EqualTo(ca.Thumbprint));
        Assert.That(main.ClientCertificate!.Thumbprint, Is.EqualTo(clientCert.Thumbprint));
        Assert.That(main.ClientCertificate.HasPrivateKey);
        Assert.That(main.Token, Is.Null);

        var second = KubernetesClientConfiguration.FromKubeConfig(path, "second");
        Assert.That(second.Server.Host, Is.EqualTo("other.example"));
        Assert.That(second.SkipTlsVerify, Is.True);
        Assert.That(second.Token!.GetToken(), Is.EqualTo("abc.def"));
        Assert.That(second.ClientCertificate, Is.Null);
        Assert.That(second.Namespace, Is.Null);

        var ex = Assert.Throws<KubeConfigException>(() => KubernetesClientConfiguration.FromKubeConfig(path, "missing"))!;
        Assert.That(ex.Message, Does.Contain("missing").And.Contain("main, second"));
    }

    [Test]
    public void File_credentials_resolve_relative_to_the_kubeconfig_folder()
    {
        Write("pki/ca.crt", CertPem(ca));
        Write("pki/client.crt", CertPem(clientCert));
        Write("pki/client.key", KeyPem(clientCert));
        Write("pki/token", "file-token\n");
        var path = Write("sub/../config", KubeConfig(
            "https://mgmt.example:6443",
            Indent("certificate-authority: pki/ca.crt", 4),
            Indent("client-certificate: pki/client.crt\nclient-key: pki/client.key\ntokenFile: pki/token", 4)));

        // Loaded from another working directory, so relative paths can only resolve against the kubeconfig's folder.
        var config = KubernetesClientConfiguration.FromKubeConfig(path);

        Assert.That(config.CertificateAuthorities!.Single().Thumbprint, Is.EqualTo(ca.Thumbprint));
        Assert.That(config.ClientCertificate!.Thumbprint, Is.EqualTo(clientCert.Thumbprint));
        Assert.That(config.Token!.TokenFile, Is.EqualTo(Path.Combine(directory, "pki", "token")));
        Assert.That(config.Token.GetToken(), Is.EqualTo("file-token"));
    }

    [Test]
    public void Missing_credential_file_names_the_file()
    {
        var path = Write("config", KubeConfig("https://mgmt.example:6443", Indent("certificate-authority: nope/ca.crt", 4), Indent("token: t", 4)));
        var ex = Assert.Throws<KubeConfigException>(() => KubernetesClientConfiguration.FromKubeConfig(path))!;
        Assert.That(ex.Message, Does.Contain(Path.Combine(directory, "nope", "ca.crt")));
    }

    [Test]
    public void Exec_user_is_rejected_with_a_clear_message()
    {
        var exec = Indent("exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: aws\n  args: [eks, get-token]", 4);
        var path = Write("config", KubeConfig("https://mgmt.example:6443", "", exec));

        var ex = Assert.Throws<KubeConfigException>(() => KubernetesClientConfiguration.FromKubeConfig(path))!;

        Assert.That(ex.Message, Does.Contain("exec credential plugin (aws)").And.Contain("not support").And.Contain("client certificate").And.Contain("token"));
    }

    [Test]
    public void Auth_provider_user_is_rejected_with_a_clear_message()
    {
        var path = Write("config", KubeConfig("https://mgmt.example:6443", "", Indent("auth-provider:\n  name: oidc", 4)));
        var ex = Assert.Throws<KubeConfigException>(() => KubernetesClientConfiguration.FromKubeConfig(path))!;
        Assert.That(ex.Message, Does.Contain("auth-provider").And.Contain("not support"));
    }

    [Test]
    public void Kubeconfig_env_first_entry_is_the_default_path()
    {
        var previous = Environment.GetEnvironmentVariable("KUBECONFIG");
        try
        {
            Environment.SetEnvironmentVariable("KUBECONFIG", string.Join(Path.PathSeparator, "/first/config", "/second/config"));
            Assert.That(KubernetesClientConfiguration.DefaultKubeConfigPath(), Is.EqualTo("/first/config"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("KUBECONFIG", previous);
        }
    }

    [Test]
    public void Default_with_explicit_kubeconfig_uses_it()
    {
        var path = Write("config", KubeConfig("https://mgmt.example:6443", "", Indent("token: t", 4)));
        Assert.That(KubernetesClientConfiguration.Default(path, "second").Server.Host, Is.EqualTo("other.example"));
    }

    [Test]
    public void In_cluster_reads_the_service_account()
    {
        Write("sa/token", "sa-token\n");
        Write("sa/ca.crt", CertPem(ca));
        Write("sa/namespace", "capi-system");

        var config = KubernetesClientConfiguration.InCluster(Path.Combine(directory, "sa"), "10.96.0.1", "443");

        Assert.That(config.Server, Is.EqualTo(new Uri("https://10.96.0.1:443/")));
        Assert.That(config.Namespace, Is.EqualTo("capi-system"));
        Assert.That(config.CertificateAuthorities!.Single().Thumbprint, Is.EqualTo(ca.Thumbprint));
        Assert.That(config.Token!.GetToken(), Is.EqualTo("sa-token"));
        Assert.That(config.Token.RefreshInterval, Is.EqualTo(TimeSpan.FromMinutes(1)));

        Assert.That(KubernetesClientConfiguration.InCluster(Path.Combine(directory, "sa"), "fd00::1", "6443").Server.Host, Is.EqualTo("[fd00::1]"));
        var ex = Assert.Throws<KubeConfigException>(() => KubernetesClientConfiguration.InCluster(Path.Combine(directory, "none"), "10.96.0.1", "443"))!;
        Assert.That(ex.Message, Does.Contain("token"));
    }

    private static Task<FakeApiServer> StartHttps() =>
        FakeApiServer.StartAsync(
            (ctx, _, _) => FakeApiServer.Json(ctx, 200, """{"kind":"APIVersions","versions":["v1"]}"""),
            0,
            new HttpsConnectionAdapterOptions
            {
                ServerCertificate = serverCert,
                ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                ClientCertificateValidation = (_, _, _) => true,
            });

    private static string HttpsUrl(FakeApiServer server) => $"https://127.0.0.1:{server.Url.Port}";

    [Test]
    public async Task Tls_is_accepted_with_the_right_ca_and_sends_the_client_certificate()
    {
        await using var server = await StartHttps();
        var path = Write("config", KubeConfig(HttpsUrl(server), CaData(ca), DataUser()));
        using var client = new KubernetesClient(KubernetesClientConfiguration.FromKubeConfig(path), new KubernetesClientOptions { MaxRetryAttempts = 0 });

        var versions = await client.GetServedVersionsAsync("", new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        Assert.That(versions, Is.EqualTo(new[] { "v1" }));
        Assert.That(client.DefaultNamespace, Is.EqualTo("metal3"));
        Assert.That(server.Requests.Single().ClientCertificateSubject, Is.EqualTo("CN=capi-cilium-addon"));
    }

    [Test]
    public async Task Tls_is_rejected_with_a_wrong_ca_naming_the_server()
    {
        await using var server = await StartHttps();
        var path = Write("config", KubeConfig(HttpsUrl(server), CaData(otherCa), DataUser()));
        using var client = new KubernetesClient(KubernetesClientConfiguration.FromKubeConfig(path), new KubernetesClientOptions { MaxRetryAttempts = 3, RetryBaseDelay = TimeSpan.FromMilliseconds(1) });

        var ex = Assert.ThrowsAsync<KubernetesConnectionException>(() => client.GetServedVersionsAsync("", new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token))!;

        Assert.That(ex.Message, Does.Contain(HttpsUrl(server)).And.Contain("TLS"));
        Assert.That(ex.IsTransient, Is.False);
        Assert.That(ex.InnerException?.InnerException, Is.InstanceOf<AuthenticationException>());
        Assert.That(server.Requests, Is.Empty);
    }

    [Test]
    public async Task Tls_with_the_system_store_rejects_a_private_ca_and_insecure_accepts_it()
    {
        await using var server = await StartHttps();
        var noCa = Write("no-ca", KubeConfig(HttpsUrl(server), "", Indent("token: t", 4)));
        using (var client = new KubernetesClient(KubernetesClientConfiguration.FromKubeConfig(noCa), new KubernetesClientOptions { MaxRetryAttempts = 0 }))
        {
            Assert.ThrowsAsync<KubernetesConnectionException>(() => client.GetServedVersionsAsync("", CancellationToken.None));
        }

        var insecure = Write("insecure", KubeConfig(HttpsUrl(server), Indent("insecure-skip-tls-verify: true", 4), Indent("token: t", 4)));
        var config = KubernetesClientConfiguration.FromKubeConfig(insecure);
        Assert.That(config.SkipTlsVerify);
        using (var client = new KubernetesClient(config, new KubernetesClientOptions { MaxRetryAttempts = 0 }))
        {
            Assert.That(await client.GetServedVersionsAsync("", CancellationToken.None), Is.EqualTo(new[] { "v1" }));
        }

        Assert.That(server.Requests.Single().Authorization, Is.EqualTo("Bearer t"));
    }
}
