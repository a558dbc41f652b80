using System.Text.Json.Nodes;

namespace CapiCiliumAddon.Rendering.Settings;

/// <summary>
/// The values <c>cilium install</c> adds on its own, and which a Helm-based day-2 owner (Flux, Argo CD, <c>helm</c>,
/// and <c>cilium upgrade</c>, which adds none) must therefore be given explicitly, or its first reconcile changes Cilium.
/// We pass them to the CLI ourselves, so its effective values (what <c>cilium install --dry-run-helm-values</c> prints,
/// recorded in tests/fixtures/cilium-cli/helm-values-1.18) are exactly the values we hold, and the values file we write
/// is the whole truth without a second CLI run per Cluster.
/// </summary>
/// <remarks>
/// From the CLI's install code (cilium-cli/install/helm.go and autodetect.go, chart 1.14 and later), for a render that
/// reaches no cluster (no flavour, no kube-proxy detection): <c>operator.replicas=1</c> always, and for the tunnel
/// datapath (chosen whenever routingMode is not <c>native</c>) <c>routingMode=tunnel</c> and <c>tunnelProtocol=vxlan</c>.
/// The user's values win over these key by key, which is what "unless set" models.
/// </remarks>
public static class CliInjectedValues
{
    public static void ApplyTo(HelmValues values)
    {
        SetUnlessGiven(values, "operator.replicas", 1, "cilium install always sets one operator replica");
        if (HelmValues.AsString(values["routingMode"]?.Value) != "native")
        {
            SetUnlessGiven(values, "routingMode", "tunnel", "tunnel datapath when routingMode is not native");
            SetUnlessGiven(values, "tunnelProtocol", "vxlan", "tunnel datapath when routingMode is not native");
        }
    }

    /// <summary>Sets <paramref name="key"/> unless it, an ancestor or a descendant already holds a value (Helm's merge lets any of them win).</summary>
    private static void SetUnlessGiven(HelmValues values, string key, JsonNode value, string why)
    {
        var given = values.All.Any(v => v.Key == key
            || v.Key.StartsWith(key + ".", StringComparison.Ordinal)
            || key.StartsWith(v.Key + ".", StringComparison.Ordinal));
        if (!given)
        {
            values.Set(key, value, new ValueSource(SettingsLayer.CliDefault, why));
        }
    }
}
