using CapiCiliumAddon.Cli.Commands;
using CapiCiliumAddon.Controller.Status;

namespace CapiCiliumAddon.Cli.Tests;

public class StatusFormatTests
{
    [Test]
    public void EachClusterSaysWhichReleaseAndValuesTheDayTwoOwnerMustUse()
    {
        var rows = new[]
        {
            new ClusterStatus("metal3/capi-1", "10.0.0.1:6443", "1.18.12", "rendered", "yes") { HelmRelease = "kube-system/cilium", HelmValuesHash = "sha256:4cf26e66" },
            new ClusterStatus("metal3/bare", "10.0.0.2:6443", "1.18.12", "rendered", "no") { HelmRelease = "none" },
            new ClusterStatus("metal3/waiting", "-", "-", "waiting-for-endpoint", "-"),
        };

        Assert.That(StatusCommand.Format(rows), Is.EqualTo(
            "CLUSTER         ENDPOINT       CILIUM   STATE                 APPLIED  HELM RELEASE        HELM VALUES\n" +
            "metal3/capi-1   10.0.0.1:6443  1.18.12  rendered              yes      kube-system/cilium  sha256:4cf26e66\n" +
            "metal3/bare     10.0.0.2:6443  1.18.12  rendered              no       none                -\n" +
            "metal3/waiting  -              -        waiting-for-endpoint  -        -                   -\n"));
    }
}
