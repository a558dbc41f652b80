namespace FakeCilium;

/// <summary>
/// What the real `cilium install` adds to the user's values before rendering offline (no cluster reachable):
/// operator.replicas=1, and routingMode=tunnel with tunnelProtocol=vxlan unless routingMode is native. The user's
/// values win key by key. Recordings were made with the CLI adding these itself; the product now passes them
/// explicitly. Both give the same effective values, so both replay the same recording.
/// </summary>
internal static class CliDefaults
{
    public static IReadOnlyDictionary<string, string> Apply(IReadOnlyDictionary<string, string> values)
    {
        var effective = new SortedDictionary<string, string>(values.ToDictionary(), StringComparer.Ordinal);
        SetUnlessGiven(effective, "operator.replicas", "1");
        if (effective.GetValueOrDefault("routingMode") != "native")
        {
            SetUnlessGiven(effective, "routingMode", "tunnel");
            SetUnlessGiven(effective, "tunnelProtocol", "vxlan");
        }

        return effective;
    }

    private static void SetUnlessGiven(SortedDictionary<string, string> values, string key, string value)
    {
        if (!values.Keys.Any(k => k == key || k.StartsWith(key + ".", StringComparison.Ordinal) || key.StartsWith(k + ".", StringComparison.Ordinal)))
        {
            values[key] = value;
        }
    }
}
