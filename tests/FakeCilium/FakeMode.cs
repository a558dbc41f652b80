using System.Globalization;

namespace FakeCilium;

/// <summary>How the fake behaves for `install` (chosen by the test with --fake-mode=...).</summary>
internal abstract record FakeMode
{
    public static FakeMode Parse(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? text : text[..colon];
        var argument = colon < 0 ? null : text[(colon + 1)..];
        return (name, argument) switch
        {
            ("replay", null) => new Replay(),
            ("fail", { } message) => new Fail(message),
            ("hang", null) => new Hang(),
            ("slow", { } ms) => new Slow(ParseNonNegative(ms, text)),
            ("garbage", null) => new Garbage(),
            ("huge", { } mb) => new Huge(ParseNonNegative(mb, text)),
            ("truncated", null) => new Truncated(),
            ("empty", null) => new Empty(),
            ("crash", null) => new Crash(),
            _ => throw new CliFailure(2, $"fake cilium: unknown --fake-mode '{text}' (replay, fail:<message>, hang, slow:<ms>, garbage, huge:<MB>, truncated, empty, crash)\n"),
        };
    }

    private static int ParseNonNegative(string number, string mode) =>
        int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new CliFailure(2, $"fake cilium: --fake-mode '{mode}' needs a non-negative whole number\n");

    /// <summary>Replay the matching recording (the default).</summary>
    public sealed record Replay : FakeMode;

    /// <summary>Exit 1 with the CLI's install error shape and this message.</summary>
    public sealed record Fail(string Message) : FakeMode;

    /// <summary>Start a child `sleep`, then never finish: for timeout and process-tree-kill tests.</summary>
    public sealed record Hang : FakeMode;

    /// <summary>Wait, then replay.</summary>
    public sealed record Slow(int Milliseconds) : FakeMode;

    /// <summary>Exit 0 with bytes that are neither YAML nor valid UTF-8.</summary>
    public sealed record Garbage : FakeMode;

    /// <summary>Exit 0 with this many MiB of YAML comment lines.</summary>
    public sealed record Huge(int Megabytes) : FakeMode;

    /// <summary>Exit 0 with the first half of the matching recording's bytes.</summary>
    public sealed record Truncated : FakeMode;

    /// <summary>Exit 0 with nothing on stdout.</summary>
    public sealed record Empty : FakeMode;

    /// <summary>A Go runtime panic: its text on stderr, exit 2.</summary>
    public sealed record Crash : FakeMode;
}
