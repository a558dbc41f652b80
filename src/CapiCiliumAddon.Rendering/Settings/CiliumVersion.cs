using System.Globalization;
using System.Text.RegularExpressions;

namespace CapiCiliumAddon.Rendering.Settings;

/// <summary>
/// A Cilium (chart) version. Parsed strictly because it reaches the CLI's argv and our annotations: anything that is
/// not MAJOR.MINOR.PATCH with an optional pre-release ("1.18.3 --kubeconfig=x") is rejected, not passed on.
/// </summary>
public sealed partial record CiliumVersion(int Major, int Minor, int Patch, string? PreRelease) : IComparable<CiliumVersion>
{
    /// <summary>Oldest chart we render: 1.17 enforces cluster.name rules and removed the MetalLB BGP values we lint.</summary>
    public static readonly CiliumVersion MinimumSupported = new(1, 17, 0, null);

    /// <summary>
    /// Used when neither the Cluster, the command line nor a single chart directory names a version: the newest patch
    /// of the newest stable minor that has had patch releases (a .0 still collects its first fixes), rendered and checked
    /// with the real CLI before it became the default.
    /// </summary>
    public static readonly CiliumVersion Default = new(1, 19, 6, null);

    public static bool TryParse(string? text, out CiliumVersion? version)
    {
        version = null;
        if (text is null)
        {
            return false;
        }

        var match = Pattern().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        version = new CiliumVersion(
            int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture),
            match.Groups[4].Success ? match.Groups[4].Value : null);
        return true;
    }

    public static CiliumVersion Parse(string text) =>
        TryParse(text, out var v) ? v! : throw new FormatException($"'{text}' is not a Cilium version (e.g. {Default})");

    public bool IsAtLeast(int major, int minor) => Major > major || (Major == major && Minor >= minor);

    public int CompareTo(CiliumVersion? other)
    {
        if (other is null)
        {
            return 1;
        }

        var byNumbers = (Major, Minor, Patch).CompareTo((other.Major, other.Minor, other.Patch));
        if (byNumbers != 0)
        {
            return byNumbers;
        }

        // A release sorts after its pre-releases.
        return (PreRelease, other.PreRelease) switch
        {
            (null, null) => 0,
            (null, _) => 1,
            (_, null) => -1,
            var (mine, theirs) => ComparePreReleases(mine, theirs),
        };
    }

    /// <summary>
    /// Semantic Versioning's order of pre-releases: identifier by identifier, numbers numerically and before words,
    /// a shorter list first when one is the start of the other (1.21.0-pre.2 before 1.21.0-pre.10 before 1.21.0-rc.0).
    /// </summary>
    private static int ComparePreReleases(string mine, string theirs)
    {
        var a = mine.Split('.');
        var b = theirs.Split('.');
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            var aNumber = a[i].All(char.IsAsciiDigit);
            var bNumber = b[i].All(char.IsAsciiDigit);
            var byIdentifier = (aNumber, bNumber) switch
            {
                (true, true) => a[i].Length != b[i].Length ? a[i].Length.CompareTo(b[i].Length) : string.CompareOrdinal(a[i], b[i]),
                (true, false) => -1,
                (false, true) => 1,
                _ => string.CompareOrdinal(a[i], b[i]),
            };
            if (byIdentifier != 0)
            {
                return byIdentifier;
            }
        }

        return a.Length.CompareTo(b.Length);
    }

    public override string ToString() => PreRelease is null ? $"{Major}.{Minor}.{Patch}" : $"{Major}.{Minor}.{Patch}-{PreRelease}";

    [GeneratedRegex(@"^v?(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,4})(?:-([0-9A-Za-z]+(?:\.[0-9A-Za-z-]+)*))?$")]
    private static partial Regex Pattern();
}
