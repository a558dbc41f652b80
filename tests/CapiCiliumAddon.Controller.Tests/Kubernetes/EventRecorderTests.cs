using System.Text;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Kubernetes.Events;
using NUnit.Framework;

namespace CapiCiliumAddon.Controller.Tests.Kubernetes;

[TestFixture]
public sealed class EventRecorderTests
{
    [Test]
    public async Task RecordsAnEventsV1EventRegardingTheObject()
    {
        var fake = new FakeKubernetesClient();
        var cluster = fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"));
        var recorder = new EventRecorder(fake, new EventRecorderOptions { ReportingInstance = "pod-0" });

        var ev = await recorder.RecordAsync(cluster, EventType.Warning, "WaitingForControlPlaneEndpoint", "Plan", "spec.controlPlaneEndpoint.host is empty", CancellationToken.None);

        Assert.That(ev, Is.Not.Null);
        var stored = fake.All(ResourceType.Event).Single();
        Assert.That(stored["metadata"]!["namespace"]!.GetValue<string>(), Is.EqualTo("metal3"));
        Assert.That(stored["type"]!.GetValue<string>(), Is.EqualTo("Warning"));
        Assert.That(stored["reportingController"]!.GetValue<string>(), Is.EqualTo("capi-cilium-addon"));
        Assert.That(stored["reportingInstance"]!.GetValue<string>(), Is.EqualTo("pod-0"));
        Assert.That(stored["regarding"]!["uid"]!.GetValue<string>(), Is.EqualTo(cluster["metadata"]!["uid"]!.GetValue<string>()));
        Assert.That(stored["regarding"]!["kind"]!.GetValue<string>(), Is.EqualTo("Cluster"));
        Assert.That(stored["eventTime"]!.GetValue<string>(), Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"));
    }

    [Test]
    public async Task IdenticalEventsInTheWindowAreSentOnce()
    {
        var fake = new FakeKubernetesClient();
        var cluster = fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"));
        var recorder = new EventRecorder(fake);
        for (var i = 0; i < 5; i++)
        {
            await recorder.RecordAsync(cluster, EventType.Warning, "RenderFailed", "Render", "boom", CancellationToken.None);
        }

        await recorder.RecordAsync(cluster, EventType.Warning, "RenderFailed", "Render", "different", CancellationToken.None);
        Assert.That(fake.All(ResourceType.Event), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task FailuresAreSwallowedAndNotDeduplicated()
    {
        var fake = new FakeKubernetesClient();
        var cluster = fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"));
        fake.FailNext(c => c.Verb == "create", FakeKubernetesClient.ServerError);
        var recorder = new EventRecorder(fake);
        Assert.That(await recorder.RecordAsync(cluster, EventType.Normal, "R", "A", "n", CancellationToken.None), Is.Null);
        Assert.That(await recorder.RecordAsync(cluster, EventType.Normal, "R", "A", "n", CancellationToken.None), Is.Not.Null);
    }

    [Test]
    public void NotesAreCutToOneKilobyteOnACharacterBoundary()
    {
        var note = EventRecorder.Truncate(new string('é', 2000), 1024);
        Assert.That(Encoding.UTF8.GetByteCount(note), Is.LessThanOrEqualTo(1024));
        Assert.That(note, Does.EndWith("…"));
        Assert.That(EventRecorder.Truncate("short", 1024), Is.EqualTo("short"));
    }
}
