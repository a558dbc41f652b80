namespace CapiCiliumAddon.Rendering;

public enum ProblemSeverity
{
    Error,
    Warning,
}

/// <summary>
/// Something wrong with an input or an output, stated so a user can act on it from an Event, a log line or a CLI
/// message: which object, which field, what is wrong and how to fix it. Errors are values, not exceptions, so one bad
/// Cluster never hides the problems of the others.
/// </summary>
/// <param name="Subject">The object at fault, e.g. "metal3/capi-1" for a Cluster or "DaemonSet kube-system/cilium" in a render.</param>
/// <param name="Field">The field path, e.g. "spec.controlPlaneEndpoint.port" or "metadata.annotations[addon.capi-cilium.io/version]".</param>
public sealed record Problem(ProblemSeverity Severity, string Subject, string Field, string Message, string? Fix = null)
{
    public static Problem Error(string subject, string field, string message, string? fix = null) =>
        new(ProblemSeverity.Error, subject, field, message, fix);

    public static Problem Warning(string subject, string field, string message, string? fix = null) =>
        new(ProblemSeverity.Warning, subject, field, message, fix);

    public override string ToString() =>
        $"{Subject}: {Field}: {Message}" + (Fix is null ? "" : $" ({Fix})");
}
