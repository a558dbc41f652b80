using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CapiCiliumAddon.Rendering.Settings;

/// <summary>
/// Cilium's cluster.name rules (enforced by the chart since 1.17): at most 32 characters, lowercase alphanumerics and
/// '-'. Cluster API names may be up to 63 characters, so longer names get a deterministic short form.
/// </summary>
public static partial class CiliumClusterName
{
    public const int MaxLength = 32;
    private const int HashLength = 8;

    public static bool IsValid(string name) => name.Length is > 0 and <= MaxLength && Pattern().IsMatch(name);

    /// <summary>
    /// The Cluster's name when valid; otherwise a readable prefix plus a hash of namespace/name. The hash covers the
    /// namespace too, so two long names that share a prefix in different namespaces (a ClusterMesh may join them)
    /// still differ.
    /// </summary>
    public static string Derive(string @namespace, string name)
    {
        if (IsValid(name))
        {
            return name;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{@namespace}/{name}")))[..HashLength];
        var cleaned = Invalid().Replace(name.ToLowerInvariant(), "-").Trim('-');
        var prefix = cleaned[..Math.Min(cleaned.Length, MaxLength - HashLength - 1)].TrimEnd('-');
        return prefix.Length == 0 ? hash : $"{prefix}-{hash}";
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Pattern();

    [GeneratedRegex("[^a-z0-9-]+")]
    private static partial Regex Invalid();
}
