using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using CapiCiliumAddon.Testing;
using CapiCiliumAddon.Testing.KubeApi;
using k8s.Exceptions;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using static CapiCiliumAddon.Kubernetes.Tests.Certificates;

namespace CapiCiliumAddon.Kubernetes.Tests;

/// <summary>
/// Kubeconfigs loaded by <see cref="KubernetesConfiguration.Load"/> (the library's loader) reaching an in-process API
/// server that checks the credentials: exec credential plugins, client certificates over TLS, tokens.
/// </summary>
public sealed class ConfigurationTests
{
    private const string DiscoveryOfCore = """{"kind":"APIVersions","versions":["v1"]}""";

    private static X509Certificate2 ca = null!;
    private static X509Certificate2 serverCert = null!;
    private static X509Certificate2 clientCert = null!;
    private static X509Certificate2 otherCa = null!;
    private static X509Certificate2 certificateForAnotherName = null!;
    private TempDirectory directory = null!;

    [OneTimeSetUp]
    public static void Certificates()
    {
        ca = CreateCa("test-ca");
        otherCa = CreateCa("other-ca");
        serverCert = CreateLeaf(ca, "kube-apiserver", server: true);
        clientCert = CreateLeaf(ca, "capi-cilium-addon", server: false);
        certificateForAnotherName = CreateLeaf(ca, "kube-apiserver", server: true, "apiserver.other.example");
    }

    [SetUp]
    public void TempDirectory() => directory = new TempDirectory();

    [TearDown]
    public void Cleanup() => directory.Dispose();

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    private static KubernetesClientOptions NoRetry => new() { MaxRetryAttempts = 0 };

    /// <summary>Answers like the API server's authenticator: 401 unless the request carries the expected bearer token.</summary>
    private static Task<FakeApiServer> StartCheckingToken(string token) => StartCheckingTokens(() => [token]);

    /// <summary>As <see cref="StartCheckingToken"/>, with the set of valid tokens asked at each request.</summary>
    private static Task<FakeApiServer> StartCheckingTokens(Func<IReadOnlyCollection<string>> validTokens) =>
        FakeApiServer.StartAsync((ctx, request, _) => validTokens().Any(token => request.Authorization == $"Bearer {token}")
            ? FakeApiServer.Json(ctx, 200, DiscoveryOfCore)
            : FakeApiServer.Json(ctx, 401, KubeApiRecordings.Get("list-clusters-unauthorized-401").Body));

    [Test]
    public async Task An_exec_credential_plugin_supplies_the_token_the_server_checks()
    {
        await using var server = await StartCheckingToken("token-from-the-plugin");
        var kubeconfig = Kubeconfigs.WithExecPlugin(directory.Combine("exec"), server.Url, "token-from-the-plugin");

        var configuration = KubernetesConfiguration.Load(kubeconfig);
        using var client = new KubernetesClient(configuration, NoRetry);
        var versions = await client.GetServedVersionsAsync("", Timeout());
        await client.GetServedVersionsAsync("", Timeout());

        Assert.That(versions, Is.EqualTo(new[] { "v1" }));
        Assert.That(configuration.Namespace, Is.EqualTo("metal3"), "the context's namespace");
        Assert.That(server.Requests.Select(r => r.Authorization), Is.EqualTo(new[] { "Bearer token-from-the-plugin", "Bearer token-from-the-plugin" }));
        Assert.That(Kubeconfigs.ExecRuns(directory.Combine("exec")), Is.GreaterThanOrEqualTo(1), "the plugin really ran");
    }

    [Test]
    public async Task A_token_the_server_refuses_is_unauthorized_not_retried()
    {
        await using var server = await StartCheckingToken("the-right-token");
        var kubeconfig = Kubeconfigs.WithExecPlugin(directory.Combine("exec"), server.Url, "a-stale-token");
        using var client = new KubernetesClient(KubernetesConfiguration.Load(kubeconfig));

        var ex = Assert.ThrowsAsync<KubernetesUnauthorizedException>(() => client.GetServedVersionsAsync("", Timeout()))!;

        Assert.That(ex.Message, Is.EqualTo("Unauthorized"));
        Assert.That(server.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public void A_failing_exec_plugin_is_a_kubeconfig_error_naming_the_file()
    {
        var kubeconfig = Kubeconfigs.WithExecPlugin(directory.Combine("exec"), new Uri("https://127.0.0.1:1/"), "unused", exitCode: 1);

        var ex = Assert.Throws<KubeConfigException>(() => KubernetesConfiguration.Load(kubeconfig))!;

        Assert.That(ex.Message, Does.StartWith($"kubeconfig {kubeconfig}: the exec credential plugin of user \"sso\""));
        Assert.That(ex.Message, Does.Not.Contain("\n"), "one line, without the library's stack trace");
    }

    [Test]
    public void A_missing_kubeconfig_names_the_file()
    {
        var missing = directory.Combine("nope", "config");

        var ex = Assert.Throws<KubeConfigException>(() => KubernetesConfiguration.Load(missing))!;

        Assert.That(ex.Message, Does.Contain(missing));
    }

    [Test]
    public void The_context_asked_for_wins_over_the_current_context()
    {
        var path = Write("config", KubeConfig("https://mgmt.example:6443", CaData(ca), Indent("token: t", 4)));

        Assert.That(KubernetesConfiguration.Load(path).Host, Does.StartWith("https://mgmt.example:6443"));
        Assert.That(KubernetesConfiguration.Load(path, "second").Host, Does.StartWith("https://other.example:6443"));
        var ex = Assert.Throws<KubeConfigException>(() => KubernetesConfiguration.Load(path, "missing"))!;
        Assert.That(ex.Message, Does.Contain(path).And.Contain("missing"));
    }

    [Test]
    public async Task Tls_is_accepted_with_the_right_ca_and_sends_the_client_certificate()
    {
        await using var server = await StartHttps();
        var path = Write("config", KubeConfig(HttpsUrl(server), CaData(ca), DataUser()));
        using var client = new KubernetesClient(KubernetesConfiguration.Load(path), NoRetry);

        var versions = await client.GetServedVersionsAsync("", Timeout());

        Assert.That(versions, Is.EqualTo(new[] { "v1" }));
        Assert.That(server.Requests.Single().ClientCertificateSubject, Is.EqualTo("CN=capi-cilium-addon"));
    }

    [Test]
    public async Task Tls_is_refused_with_a_wrong_ca_naming_the_server_and_not_retried()
    {
        await using var server = await StartHttps();
        var path = Write("config", KubeConfig(HttpsUrl(server), CaData(otherCa), DataUser()));
        using var client = new KubernetesClient(KubernetesConfiguration.Load(path), new KubernetesClientOptions { MaxRetryAttempts = 3, RetryBaseDelay = TimeSpan.FromMilliseconds(1) });

        var ex = Assert.ThrowsAsync<KubernetesConnectionException>(() => client.GetServedVersionsAsync("", Timeout()))!;

        Assert.That(ex.Message, Does.Contain(HttpsUrl(server)).And.Contain("TLS"));
        Assert.That(ex.IsTransient, Is.False);
        Assert.That(ex.InnerException?.InnerException, Is.InstanceOf<AuthenticationException>());
        Assert.That(server.Requests, Is.Empty);
    }

    [Test]
    public async Task Tls_with_the_system_store_refuses_a_private_ca_and_insecure_accepts_it()
    {
        await using var server = await StartHttps();
        var noCa = Write("no-ca", KubeConfig(HttpsUrl(server), "", Indent("token: t", 4)));
        using (var client = new KubernetesClient(KubernetesConfiguration.Load(noCa), NoRetry))
        {
            Assert.ThrowsAsync<KubernetesConnectionException>(() => client.GetServedVersionsAsync("", Timeout()));
        }

        var insecure = Write("insecure", KubeConfig(HttpsUrl(server), Indent("insecure-skip-tls-verify: true", 4), Indent("token: t", 4)));
        var config = KubernetesConfiguration.Load(insecure);
        Assert.That(config.SkipTlsVerify);
        using (var client = new KubernetesClient(config, NoRetry))
        {
            Assert.That(await client.GetServedVersionsAsync("", Timeout()), Is.EqualTo(new[] { "v1" }));
        }

        Assert.That(server.Requests.Single().Authorization, Is.EqualTo("Bearer t"));
    }

    // ---- tokenFile ----

    [Test]
    public async Task A_token_file_relative_to_the_kubeconfig_supplies_the_token()
    {
        await using var server = await StartCheckingToken("token-from-the-file");
        Write(Path.Combine("secrets", "token"), "token-from-the-file\n");
        var kubeconfig = Write(Path.Combine("kube", "config"), KubeConfig(server.Url.ToString(), "", Indent("tokenFile: ../secrets/token", 4)));
        using var client = new KubernetesClient(KubernetesConfiguration.Load(kubeconfig), NoRetry);

        var versions = await client.GetServedVersionsAsync("", Timeout());

        Assert.That(versions, Is.EqualTo(new[] { "v1" }));
        Assert.That(server.Requests.Single().Authorization, Is.EqualTo("Bearer token-from-the-file"), "read from the kubeconfig's directory, trimmed");
    }

    [Test]
    public async Task A_rotated_token_file_is_read_again_after_a_minute()
    {
        string[] valid = ["first-token"];
        await using var server = await StartCheckingTokens(() => valid);
        var tokenFile = Write("token", "first-token");
        var kubeconfig = Write("config", KubeConfig(server.Url.ToString(), "", Indent($"tokenFile: {tokenFile}", 4)));
        var clock = new ManualClock();
        using var client = new KubernetesClient(KubernetesConfiguration.Load(kubeconfig, timeProvider: clock), NoRetry);
        await client.GetServedVersionsAsync("", Timeout());

        // The kubelet's way: a new token is written while the old one is still valid for a while.
        File.WriteAllText(tokenFile, "second-token\n");
        valid = ["first-token", "second-token"];
        clock.Advance(TimeSpan.FromSeconds(30));
        await client.GetServedVersionsAsync("", Timeout());
        clock.Advance(TimeSpan.FromSeconds(31));
        await client.GetServedVersionsAsync("", Timeout());
        valid = ["second-token"];
        await client.GetServedVersionsAsync("", Timeout());

        Assert.That(
            server.Requests.Select(r => r.Authorization),
            Is.EqualTo(new[] { "Bearer first-token", "Bearer first-token", "Bearer second-token", "Bearer second-token" }));
    }

    [Test]
    public async Task A_token_file_that_cannot_be_read_any_more_keeps_the_last_token()
    {
        await using var server = await StartCheckingToken("the-token");
        var tokenFile = Write("token", "the-token");
        var kubeconfig = Write("config", KubeConfig(server.Url.ToString(), "", Indent($"tokenFile: {tokenFile}", 4)));
        var clock = new ManualClock();
        using var client = new KubernetesClient(KubernetesConfiguration.Load(kubeconfig, timeProvider: clock), NoRetry);

        File.WriteAllText(tokenFile, "");
        clock.Advance(TimeSpan.FromMinutes(2));
        await client.GetServedVersionsAsync("", Timeout());
        File.Delete(tokenFile);
        clock.Advance(TimeSpan.FromMinutes(2));
        await client.GetServedVersionsAsync("", Timeout());

        Assert.That(server.Requests.Select(r => r.Authorization), Is.EqualTo(new[] { "Bearer the-token", "Bearer the-token" }));
    }

    [Test]
    public void A_missing_token_file_is_an_error_naming_the_kubeconfig_the_user_and_the_file()
    {
        var kubeconfig = Write("config", KubeConfig("https://mgmt.example:6443", CaData(ca), Indent("tokenFile: missing-token", 4)));

        var ex = Assert.Throws<KubeConfigException>(() => KubernetesConfiguration.Load(kubeconfig))!;

        Assert.That(ex.Message, Does.StartWith($"kubeconfig {kubeconfig}: user \"admin\": cannot read its tokenFile {directory.Combine("missing-token")}: "));
    }

    [Test]
    public void An_empty_token_file_is_an_error()
    {
        Write("token", " \n");
        var kubeconfig = Write("config", KubeConfig("https://mgmt.example:6443", CaData(ca), Indent("tokenFile: token", 4)));

        var ex = Assert.Throws<KubeConfigException>(() => KubernetesConfiguration.Load(kubeconfig))!;

        Assert.That(ex.Message, Is.EqualTo($"kubeconfig {kubeconfig}: user \"admin\": cannot read its tokenFile {directory.Combine("token")}: the file is empty"));
    }

    [Test]
    public async Task With_token_and_tokenFile_the_file_wins_while_it_can_be_read_and_token_stands_in_otherwise()
    {
        await using var server = await StartCheckingTokens(() => ["token-from-the-file", "token-in-the-kubeconfig"]);
        Write("token", "token-from-the-file");
        var readable = Write("readable", KubeConfig(server.Url.ToString(), "", Indent("token: token-in-the-kubeconfig\ntokenFile: token", 4)));
        var unreadable = Write("unreadable", KubeConfig(server.Url.ToString(), "", Indent("token: token-in-the-kubeconfig\ntokenFile: no-such-token", 4)));

        using (var client = new KubernetesClient(KubernetesConfiguration.Load(readable), NoRetry))
        {
            await client.GetServedVersionsAsync("", Timeout());
        }

        using (var client = new KubernetesClient(KubernetesConfiguration.Load(unreadable), NoRetry))
        {
            await client.GetServedVersionsAsync("", Timeout());
        }

        Assert.That(server.Requests.Select(r => r.Authorization), Is.EqualTo(new[] { "Bearer token-from-the-file", "Bearer token-in-the-kubeconfig" }));
    }

    [Test]
    public async Task The_token_file_of_the_context_asked_for_is_the_one_read()
    {
        await using var server = await StartCheckingToken("token-of-the-second-user");
        Write("first", "token-of-the-first-user");
        Write("second", "token-of-the-second-user");
        var kubeconfig = Write("config", $$"""
            apiVersion: v1
            kind: Config
            current-context: first
            clusters:
            - name: mgmt
              cluster:
                server: {{server.Url}}
            contexts:
            - name: first
              context: {cluster: mgmt, user: first}
            - name: second
              context: {cluster: mgmt, user: second}
            users:
            - name: first
              user: {tokenFile: first}
            - name: second
              user: {tokenFile: second}
            """);
        using var client = new KubernetesClient(KubernetesConfiguration.Load(kubeconfig, "second"), NoRetry);

        await client.GetServedVersionsAsync("", Timeout());

        Assert.That(server.Requests.Single().Authorization, Is.EqualTo("Bearer token-of-the-second-user"));
    }

    // ---- the server's certificate ----

    [Test]
    public async Task A_certificate_from_the_right_ca_for_another_name_is_refused()
    {
        await using var server = await StartHttps(certificateForAnotherName);
        var path = Write("config", KubeConfig(HttpsUrl(server), CaData(ca), Indent("token: t", 4)));
        using var client = new KubernetesClient(KubernetesConfiguration.Load(path), NoRetry);

        var ex = Assert.ThrowsAsync<KubernetesConnectionException>(() => client.GetServedVersionsAsync("", Timeout()))!;

        Assert.That(ex.Message, Does.Contain(HttpsUrl(server)).And.Contain("TLS"));
        Assert.That(ex.IsTransient, Is.False);
        Assert.That(server.Requests, Is.Empty, "no request, so no token, reached the impostor");
    }

    [Test]
    public async Task Tls_server_name_is_the_name_the_certificate_must_carry()
    {
        await using var other = await StartHttps(certificateForAnotherName);
        var named = Write("named", KubeConfig(HttpsUrl(other), CaData(ca) + "\n" + Indent("tls-server-name: apiserver.other.example", 4), Indent("token: t", 4)));
        using (var client = new KubernetesClient(KubernetesConfiguration.Load(named), NoRetry))
        {
            Assert.That(await client.GetServedVersionsAsync("", Timeout()), Is.EqualTo(new[] { "v1" }));
        }

        await using var loopback = await StartHttps();
        var misnamed = Write("misnamed", KubeConfig(HttpsUrl(loopback), CaData(ca) + "\n" + Indent("tls-server-name: apiserver.other.example", 4), Indent("token: t", 4)));
        using (var client = new KubernetesClient(KubernetesConfiguration.Load(misnamed), NoRetry))
        {
            Assert.ThrowsAsync<KubernetesConnectionException>(() => client.GetServedVersionsAsync("", Timeout()), "the address matches, the tls-server-name does not");
        }

        Assert.That(loopback.Requests, Is.Empty);
    }

    [Test]
    public async Task Insecure_skip_tls_verify_accepts_a_certificate_for_another_name()
    {
        await using var server = await StartHttps(certificateForAnotherName);
        var path = Write("config", KubeConfig(HttpsUrl(server), Indent("insecure-skip-tls-verify: true", 4), Indent("token: t", 4)));
        using var client = new KubernetesClient(KubernetesConfiguration.Load(path), NoRetry);

        Assert.That(await client.GetServedVersionsAsync("", Timeout()), Is.EqualTo(new[] { "v1" }));
    }

    private string Write(string relative, string content)
    {
        var path = directory.Combine(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static string KubeConfig(string server, string clusterExtra, string userBlock) => $"""
        apiVersion: v1
        kind: Config
        current-context: main
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

    private static Task<FakeApiServer> StartHttps(X509Certificate2? certificate = null) =>
        FakeApiServer.StartAsync(
            (ctx, _, _) => FakeApiServer.Json(ctx, 200, DiscoveryOfCore),
            0,
            new HttpsConnectionAdapterOptions
            {
                ServerCertificate = certificate ?? serverCert,
                ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                ClientCertificateValidation = (_, _, _) => true,
            });

    private static string HttpsUrl(FakeApiServer server) => $"https://127.0.0.1:{server.Url.Port}";

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => now;

        public void Advance(TimeSpan by) => now += by;
    }
}
