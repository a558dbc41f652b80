using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Release;

/// <summary>
/// One `cilium-config` entry whose rendered value differs between two charts for the same values (our bare-metal
/// profile). <see cref="OldValue"/>/<see cref="NewValue"/> are the rendered strings, null when the key is absent.
/// </summary>
public sealed record ChartValueChange(CiliumVersion From, CiliumVersion To, string ConfigKey, string? OldValue, string? NewValue, string Note);

/// <summary>
/// What we KNOW changed meaning between chart versions, and nothing else. Every entry is read off the recorded real
/// renders in tests/fixtures/cilium-cli (baremetal-native-bgp-1.17/1.18/1.20: same values, three charts) and a test
/// checks each one against them. Only changed or removed keys are listed: keys a chart merely adds, with a default,
/// do not change what an existing setting means. Pairs we have no recordings for (e.g. 1.19) have no entries, and the
/// summary says "no known changes recorded" rather than guessing. To add a version: record it (see the fixtures'
/// README), diff `cilium-config`, add the entries here.
/// </summary>
public static class ChartChanges
{
    private static readonly CiliumVersion V117 = new(1, 17, 18, null);
    private static readonly CiliumVersion V118 = new(1, 18, 12, null);
    private static readonly CiliumVersion V120 = new(1, 20, 0, null);

    private const string NoLongerRendered = "no longer written to cilium-config";

    public static IReadOnlyList<ChartValueChange> Known { get; } =
    [
        new(V117, V118, "enable-l2-neigh-discovery", "true", "false", "L2 neighbour discovery is now off for the same values"),
        new(V117, V118, "arping-refresh-period", "30s", null, NoLongerRendered),
        new(V117, V118, "enable-experimental-lb", "false", null, NoLongerRendered),
        new(V117, V118, "enable-k8s-terminating-endpoint", "true", null, NoLongerRendered),
        new(V117, V118, "enable-local-redirect-policy", "false", null, NoLongerRendered),
        new(V117, V118, "enable-runtime-device-detection", "true", null, NoLongerRendered),
        new(V117, V118, "hubble-export-file-max-backups", "5", null, NoLongerRendered),
        new(V117, V118, "hubble-export-file-max-size-mb", "10", null, NoLongerRendered),
        new(V118, V120, "policy-default-local-cluster", "false", "true", "policies that name no cluster now select only the local cluster's endpoints (matters with Cluster Mesh)"),
        new(V118, V120, "mesh-auth-enabled", "true", "false", "mutual authentication support is now off for the same values"),
        new(V118, V120, "unmanaged-pod-watcher-interval", "15", "15s", "now written as a duration; still 15 seconds"),
        new(V118, V120, "enable-internal-traffic-policy", "true", null, NoLongerRendered),
        new(V118, V120, "enable-svc-source-range-check", "true", null, NoLongerRendered),
    ];

    /// <summary>The recorded chart pairs (from → to), for the "what do we know" sentence.</summary>
    public static IReadOnlyList<(CiliumVersion From, CiliumVersion To)> RecordedPairs { get; } = [(V117, V118), (V118, V120)];

    /// <summary>
    /// The known changes a move from <paramref name="from"/> to <paramref name="to"/> crosses, compared by minor
    /// version (chart defaults change with minors): entries whose whole recorded span lies inside the move. A
    /// downgrade gets the same entries reversed. Empty when we know of none, which is not the same as "none exist".
    /// </summary>
    public static IReadOnlyList<ChartValueChange> Between(CiliumVersion from, CiliumVersion to)
    {
        var downgrade = Minor(to) < Minor(from);
        var (low, high) = downgrade ? (to, from) : (from, to);
        var crossed = Known.Where(c => Minor(low) <= Minor(c.From) && Minor(c.To) <= Minor(high)).ToList();
        return downgrade
            ? crossed.Select(c => c with { From = c.To, To = c.From, OldValue = c.NewValue, NewValue = c.OldValue }).ToList()
            : crossed;
    }

    /// <summary>Recorded spans that overlap the move without lying inside it (so their changes cannot be attributed to it).</summary>
    public static IReadOnlyList<(CiliumVersion From, CiliumVersion To)> PartlyOverlapping(CiliumVersion from, CiliumVersion to)
    {
        var (low, high) = Minor(to) < Minor(from) ? (to, from) : (from, to);
        return RecordedPairs
            .Where(p => Minor(p.From) < Minor(high) && Minor(low) < Minor(p.To))
            .Where(p => !(Minor(low) <= Minor(p.From) && Minor(p.To) <= Minor(high)))
            .ToList();
    }

    private static int Minor(CiliumVersion v) => (v.Major * 1000) + v.Minor;
}
