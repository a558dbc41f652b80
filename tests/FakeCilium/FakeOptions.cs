namespace FakeCilium;

/// <summary>The fake's own options. They come first (a test's wrapper script puts them there) and are removed
/// before the remaining arguments are read as the real CLI would read them.</summary>
internal sealed record FakeOptions(FakeMode Mode, string? RecordDirectory, IReadOnlyList<string> CliArguments)
{
    public static FakeOptions Parse(IReadOnlyList<string> args)
    {
        FakeMode mode = new FakeMode.Replay();
        string? recordDirectory = null;
        var index = 0;
        for (; index < args.Count && args[index].StartsWith("--fake-", StringComparison.Ordinal); index++)
        {
            var arg = args[index];
            if (arg.StartsWith("--fake-mode=", StringComparison.Ordinal))
            {
                mode = FakeMode.Parse(arg["--fake-mode=".Length..]);
            }
            else if (arg.StartsWith("--fake-record=", StringComparison.Ordinal))
            {
                var value = arg["--fake-record=".Length..];
                recordDirectory = value.Length == 0 ? null : value;
            }
            else
            {
                throw new CliFailure(2, $"fake cilium: unknown fake option {arg} (--fake-mode=..., --fake-record=...)\n");
            }
        }

        return new FakeOptions(mode, recordDirectory, args.Skip(index).ToArray());
    }
}
