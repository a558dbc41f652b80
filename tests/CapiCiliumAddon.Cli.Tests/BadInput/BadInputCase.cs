using System.Text;

namespace CapiCiliumAddon.Cli.Tests.BadInput;

/// <summary>What `render` must do with the bad Cluster of a case (the good one must always render unchanged).</summary>
public enum Outcome
{
    /// <summary>Exit 1, an `error:` line naming the object and field, nothing written for it.</summary>
    Refused,

    /// <summary>Exit 1, a line naming the Cluster and the unset endpoint field, nothing written: waiting is normal.</summary>
    NotReady,

    /// <summary>Exit 0, rendered, and a `warning:` line naming the object and field (a "good but warned" case).</summary>
    RenderedWithWarning,
}

/// <summary>One input file of a case: a name under the clusters folder and its exact bytes.</summary>
public sealed record InputFile(string Name, byte[] Bytes)
{
    public static InputFile Text(string name, string text) => new(name, Encoding.UTF8.GetBytes(text));
}

/// <summary>
/// One row of the catalogue. <paramref name="Subject"/> is the object the message must name: `namespace/name` for
/// a Cluster, or the file name for a file that cannot be read. <paramref name="Field"/> is the field it must name.
/// <paramref name="BadDirectory"/> is where the bad Cluster's files would go (checked absent, or present when it renders).
/// </summary>
public sealed record BadInputCase(
    string Name,
    string Category,
    Outcome Outcome,
    string Subject,
    string Field,
    IReadOnlyList<InputFile> Files,
    string? CliMode = null,
    string? MessageContains = null,
    string BadDirectory = "metal3/broken")
{
    public override string ToString() => Name;
}
