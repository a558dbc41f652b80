using CapiCiliumAddon.Rendering.Pipeline.Stamping;

namespace CapiCiliumAddon.Rendering.Tests.Stamping;

/// <summary>The rules that decide where a finished file may be stamped textually.</summary>
public class FinishedStampTests
{
    [Test]
    public void LiteralBlocksCoverTheIndentedContentOfEachBlockScalarAndNothingElse()
    {
        const string yaml = "data:\n  \"001-a.yaml\": |\n    kind: A\n\n    value: |-\n      nested\n  plain: x\n  b: |2-\n     lead\nend: y\n";

        var blocks = FinishedStamp.LiteralBlocks(yaml).Select(b => yaml[b.Start..b.End]).ToList();

        Assert.That(blocks, Is.EqualTo(new[] { "    kind: A\n\n    value: |-\n      nested\n", "     lead\n" }));
    }

    [TestCase("stamp-cluster-p3t7v1x5", "capi-1", true)]
    [TestCase("stamp-cluster-p3t7v1x5", "7-edge", false)]
    [TestCase("stamp-cluster-p3t7v1x5", "yes", false)]
    [TestCase("stamp-cluster-p3t7v1x5", "Off", false)]
    [TestCase("203.0.113.231", "10.0.0.1", true)]
    [TestCase("203.0.113.231", "api.example.com", false)]
    [TestCase("2001:db8:5a3c::e7", "2001:db8::1", true)]
    [TestCase("2001:db8:5a3c::e7", "fd00::1", true)] // both hold a colon, so both are double-quoted
    [TestCase("sha256:e32f", "sha256:0a1b", true)]
    [TestCase("stamp-cluster-p3t7v1x5", "site-a:edge", false)]
    public void AValueIsStampedOutsideLiteralBlocksOnlyWhenYamlWritesItLikeItsPlaceholder(string placeholder, string value, bool same) =>
        Assert.That(FinishedStamp.SameScalarClass(placeholder, value), Is.EqualTo(same));

    [TestCase("10.0.0.1", true)]
    [TestCase("fd00::/56", true)]
    [TestCase("a b", false)]
    [TestCase("a\"b", false)]
    [TestCase("a+b", false)]
    [TestCase("", false)]
    public void OnlyValuesNeedingNoEscapeAreStamped(string value, bool plain) =>
        Assert.That(FinishedStamp.OnlyPlainCharacters(value), Is.EqualTo(plain));
}
