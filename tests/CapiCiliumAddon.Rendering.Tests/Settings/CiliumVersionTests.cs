using CapiCiliumAddon.Rendering.Settings;

namespace CapiCiliumAddon.Rendering.Tests.Settings;

public class CiliumVersionTests
{
    [TestCase("1.21.0-pre.0", 1, 21, 0, "pre.0")]
    [TestCase("v1.20.0-rc.1", 1, 20, 0, "rc.1")]
    [TestCase("1.19.6", 1, 19, 6, null)]
    public void ReadsReleasesAndPreReleases(string text, int major, int minor, int patch, string? preRelease)
    {
        Assert.That(CiliumVersion.Parse(text), Is.EqualTo(new CiliumVersion(major, minor, patch, preRelease)));
    }

    [TestCase("1.21.0-pre.0 --set x=y")]
    [TestCase("1.21")]
    [TestCase("latest")]
    public void RefusesAnythingElse(string text)
    {
        Assert.That(CiliumVersion.TryParse(text, out _), Is.False);
    }

    [Test]
    public void PreReleasesSortAsSemanticVersioningSays()
    {
        var ordered = new[] { "1.20.0", "1.21.0-pre.0", "1.21.0-pre.2", "1.21.0-pre.10", "1.21.0-rc.0", "1.21.0", "1.21.1" }.Select(CiliumVersion.Parse).ToList();

        Assert.That(ordered.AsEnumerable().Reverse().Order().ToList(), Is.EqualTo(ordered));
    }
}
