using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;

namespace CapiCiliumAddon.Kubernetes;

/// <summary>
/// Checks the API server's certificate the way client-go does: it must name the server (the kubeconfig's
/// <c>tls-server-name</c> when set, else the host of the server URL; subject alternative names only, wildcards allowed,
/// never the common name) and chain to one of the kubeconfig's certificate authorities, or to the system trust store
/// when the kubeconfig gives none. <c>insecure-skip-tls-verify</c> accepts any certificate.
/// </summary>
internal sealed class ServerCertificateValidator
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");

    private readonly X509Certificate2Collection? authorities;
    private readonly bool skipVerify;

    public ServerCertificateValidator(KubernetesClientConfiguration configuration, Uri server)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(server);
        skipVerify = configuration.SkipTlsVerify;
        ServerName = string.IsNullOrWhiteSpace(configuration.TlsServerName) ? server.IdnHost : configuration.TlsServerName;
        if (configuration.SslCaCerts is { Count: > 0 } given)
        {
            authorities = [.. given];
        }
    }

    /// <summary>The name the certificate must carry.</summary>
    public string ServerName { get; }

    /// <summary>A <see cref="RemoteCertificateValidationCallback"/>.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (skipVerify)
        {
            return true;
        }

        if (certificate is null)
        {
            return false;
        }

        using var copy = certificate is X509Certificate2 ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var leaf = copy ?? (X509Certificate2)certificate;
        if (!leaf.MatchesHostname(ServerName, allowWildcards: true, allowCommonName: false))
        {
            return false;
        }

        // Without a certificate authority of its own, the kubeconfig trusts what the system trusts: the TLS stack
        // has already built the chain against the system store and reports the outcome as a chain error.
        return authorities is null
            ? (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0
            : ChainsToAuthorities(leaf, chain);
    }

    private bool ChainsToAuthorities(X509Certificate2 leaf, X509Chain? presented)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities!);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        if (presented is not null)
        {
            // The intermediates the server sent.
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(leaf);
    }
}
