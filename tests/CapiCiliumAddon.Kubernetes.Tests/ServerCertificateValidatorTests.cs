using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using k8s;
using static CapiCiliumAddon.Kubernetes.Tests.Certificates;

namespace CapiCiliumAddon.Kubernetes.Tests;

/// <summary>
/// The decisions of <see cref="ServerCertificateValidator"/> on verdicts a TLS handshake cannot produce here: a chain
/// the system trust store accepts (a test cannot add a root to it without changing the machine). The handshakes it can
/// produce (a private CA, a wrong name, tls-server-name, skip-verify) are in <see cref="ConfigurationTests"/>.
/// </summary>
public sealed class ServerCertificateValidatorTests
{
    private static X509Certificate2 ca = null!;
    private static X509Certificate2 otherCa = null!;
    private static X509Certificate2 apiserver = null!;
    private static X509Certificate2 wildcard = null!;
    private static X509Certificate2 ipv6 = null!;

    [OneTimeSetUp]
    public static void Certificates()
    {
        ca = CreateCa("test-ca");
        otherCa = CreateCa("other-ca");
        apiserver = CreateLeaf(ca, "kube-apiserver", server: true, "api.mgmt.example");
        wildcard = CreateLeaf(ca, "kube-apiserver", server: true, "*.mgmt.example");
        ipv6 = CreateLeaf(ca, "kube-apiserver", server: true, "fd00::1");
    }

    private static ServerCertificateValidator Validator(string server, X509Certificate2? authority = null, string? tlsServerName = null, bool skip = false) =>
        new(
            new KubernetesClientConfiguration
            {
                Host = server,
                SslCaCerts = authority is null ? null : [authority],
                TlsServerName = tlsServerName,
                SkipTlsVerify = skip,
            },
            new Uri(server));

    [Test]
    public void Without_a_ca_a_chain_the_system_trusts_is_accepted_for_the_right_name_only()
    {
        Assert.That(Validator("https://api.mgmt.example:6443").Validate(this, apiserver, null, SslPolicyErrors.None), Is.True);
        Assert.That(Validator("https://other.mgmt.example:6443").Validate(this, apiserver, null, SslPolicyErrors.None), Is.False);
    }

    [Test]
    public void Without_a_ca_a_chain_the_system_does_not_trust_is_refused()
    {
        var validator = Validator("https://api.mgmt.example:6443");

        Assert.That(validator.Validate(this, apiserver, null, SslPolicyErrors.RemoteCertificateChainErrors), Is.False);
    }

    [Test]
    public void With_a_ca_only_that_ca_is_trusted_even_when_the_system_trusts_the_chain()
    {
        Assert.That(Validator("https://api.mgmt.example:6443", ca).Validate(this, apiserver, null, SslPolicyErrors.RemoteCertificateChainErrors), Is.True);
        Assert.That(Validator("https://api.mgmt.example:6443", otherCa).Validate(this, apiserver, null, SslPolicyErrors.None), Is.False);
    }

    [Test]
    public void The_name_is_a_subject_alternative_name_wildcards_included_never_the_common_name()
    {
        Assert.That(Validator("https://api.mgmt.example:6443", ca).Validate(this, wildcard, null, SslPolicyErrors.None), Is.True);
        Assert.That(Validator("https://a.b.mgmt.example:6443", ca).Validate(this, wildcard, null, SslPolicyErrors.None), Is.False, "a wildcard covers one label");
        Assert.That(Validator("https://kube-apiserver:6443", ca).Validate(this, apiserver, null, SslPolicyErrors.None), Is.False, "the common name");
    }

    [Test]
    public void An_ipv6_server_is_matched_against_the_certificate_s_ip_addresses()
    {
        var validator = Validator("https://[fd00::1]:6443", ca);

        Assert.That(validator.ServerName, Is.EqualTo("fd00::1"));
        Assert.That(validator.Validate(this, ipv6, null, SslPolicyErrors.None), Is.True);
        Assert.That(Validator("https://[fd00::2]:6443", ca).Validate(this, ipv6, null, SslPolicyErrors.None), Is.False);
    }

    [Test]
    public void Tls_server_name_replaces_the_host_of_the_url()
    {
        var validator = Validator("https://10.0.0.1:6443", ca, tlsServerName: "api.mgmt.example");

        Assert.That(validator.ServerName, Is.EqualTo("api.mgmt.example"));
        Assert.That(validator.Validate(this, apiserver, null, SslPolicyErrors.RemoteCertificateNameMismatch), Is.True);
    }

    [Test]
    public void Insecure_skip_tls_verify_accepts_any_certificate_and_a_missing_certificate_is_refused()
    {
        Assert.That(Validator("https://10.0.0.1:6443", otherCa, skip: true).Validate(this, apiserver, null, SslPolicyErrors.RemoteCertificateChainErrors), Is.True);
        Assert.That(Validator("https://api.mgmt.example:6443", ca).Validate(this, null, null, SslPolicyErrors.RemoteCertificateNotAvailable), Is.False);
    }
}
