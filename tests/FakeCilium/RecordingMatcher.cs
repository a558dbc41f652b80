namespace FakeCilium;

/// <summary>Finds the recording whose values equal the effective values, facts aside, or explains why none does.</summary>
internal static class RecordingMatcher
{
    private static readonly string[] RemovedKubeProxyReplacementModes = ["partial", "strict", "disabled"];

    /// <summary>The recording to replay; throws the CLI-shaped "no recording" failure when there is none.</summary>
    public static Recording Match(RecordingCatalogue catalogue, string chartVersion, IReadOnlyDictionary<string, string> values)
    {
        // The chart's own validation fails the same way on every version for the removed modes.
        if (values.TryGetValue("kubeProxyReplacement", out var kpr) && RemovedKubeProxyReplacementModes.Contains(kpr))
        {
            return catalogue[RecordingCatalogue.PartialKubeProxyReplacementCase];
        }

        var candidates = catalogue.Renders.Where(r => r.ChartVersion == chartVersion).ToList();
        if (candidates.Count == 0)
        {
            var recorded = string.Join(", ", catalogue.Renders.Select(r => r.ChartVersion).Distinct().Order(StringComparer.Ordinal));
            var given = string.Join(", ", values.Select(pair => $"{pair.Key}={pair.Value}"));
            throw NoRecording(chartVersion, $"{given}; no render is recorded for this chart (recorded charts: {recorded})");
        }

        var ranked = candidates
            .Select(recording => (Recording: recording, Differences: Differences(recording, values)))
            .OrderBy(candidate => candidate.Differences.Count)
            .ToList();
        if (ranked[0].Differences.Count == 0)
        {
            return ranked[0].Recording;
        }

        throw NoRecording(chartVersion, string.Join("; ", ranked[0].Differences));
    }

    /// <summary>Every way the effective values (with <see cref="CliDefaults"/>) differ from the recording's, sorted by key.</summary>
    public static IReadOnlyList<string> Differences(Recording recording, IReadOnlyDictionary<string, string> userValues)
    {
        var differences = new List<string>();
        var values = CliDefaults.Apply(userValues);
        var recordedValues = CliDefaults.Apply(recording.SetValues);
        var keys = recordedValues.Keys.Union(values.Keys).Order(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var isRecorded = recordedValues.TryGetValue(key, out var recorded);
            var isGiven = values.TryGetValue(key, out var given);
            if (isRecorded && isGiven)
            {
                if (recorded != given && !FactKeys.Substitutable.Contains(key))
                {
                    differences.Add($"{key}={given} (recorded {recorded})");
                }
            }
            else if (isRecorded)
            {
                differences.Add($"missing {key} (recorded {recorded})");
            }
            else if (!FactKeys.Addable.Contains(key))
            {
                differences.Add($"extra {key}={given}");
            }
            else if (key != FactKeys.ClusterName && !UsesKubernetesIpam(recording))
            {
                // With cluster-pool IPAM the chart would also render IPv6 pool settings the fake cannot know.
                differences.Add($"extra {key}={given} (IPv6 is only substituted in recordings with ipam.mode=kubernetes)");
            }
        }

        return differences;
    }

    private static bool UsesKubernetesIpam(Recording recording) =>
        recording.SetValues.TryGetValue("ipam.mode", out var mode) && mode == "kubernetes";

    private static CliFailure NoRecording(string chartVersion, string differences) =>
        CliFailure.Install($"fake cilium has no recording for chart {chartVersion} with values: {differences}");
}
