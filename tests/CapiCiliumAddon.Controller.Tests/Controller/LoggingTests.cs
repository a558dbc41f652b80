using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Hosting;
using CapiCiliumAddon.Controller.Metrics;
using CapiCiliumAddon.Controller.Reconciliation;
using CapiCiliumAddon.Controller.Tests.Fakes;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Kubernetes.Events;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace CapiCiliumAddon.Controller.Tests.Controller;

[TestFixture]
public sealed class LoggingTests
{
    [Test]
    public async Task EveryReconcileLogLineNamesTheClusterAsNamespaceSlashName()
    {
        var provider = new CapturingProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(provider).SetMinimumLevel(LogLevel.Debug));
        var fake = new FakeKubernetesClient();
        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"));
        fake.Seed(ResourceType.ConfigMap, Objects.ConfigMap("metal3", "capi-1-cilium"));
        var reconciler = new ClusterReconciler(fake, new FakeRenderer(), (ns, n) => fake.Peek(ResourceType.Cluster, ns, n),
            new EventRecorder(fake), new ControllerMetrics(), new ReconcilerOptions(), factory.CreateLogger<ClusterReconciler>());

        await reconciler.ReconcileAsync("metal3/capi-1", CancellationToken.None);

        Assert.That(provider.Entries, Is.Not.Empty);
        Assert.That(provider.Entries, Has.All.Matches<(string Message, string Scope)>(e => e.Scope.Contains("cluster=metal3/capi-1", StringComparison.Ordinal) && e.Message.Contains("metal3/capi-1", StringComparison.Ordinal)));
    }

    [Test]
    public async Task TextLogLinesOfAReconcileNameTheClusterInTheirScope()
    {
        var lines = await ConsoleLinesOfOneReconcile("text");

        var reconcileLines = lines.Where(l => l.Contains("ClusterReconciler", StringComparison.Ordinal)).ToList();
        Assert.That(reconcileLines, Is.Not.Empty);
        Assert.That(reconcileLines, Has.All.Contains("=> cluster=metal3/capi-1"));
        Assert.That(lines, Has.None.Contains("System.Collections.Generic"), "a scope printed by its type name");
    }

    [Test]
    public async Task JsonLogLinesOfAReconcileCarryTheClusterAsATopLevelField()
    {
        var lines = await ConsoleLinesOfOneReconcile("json");

        var objects = lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.That(objects, Has.All.Matches<JsonObject>(o => o["time"] is not null && o["level"] is not null && o["logger"] is not null && o["message"] is not null));
        var reconcileLines = objects.Where(o => o["logger"]!.GetValue<string>().EndsWith("ClusterReconciler", StringComparison.Ordinal)).ToList();
        Assert.That(reconcileLines, Is.Not.Empty);
        foreach (var line in reconcileLines)
        {
            Assert.That(line["cluster"]?.GetValue<string>(), Is.EqualTo("metal3/capi-1"), line.ToJsonString());
        }

        // What `jq 'select(.cluster == "metal3/capi-1")'` selects is exactly the reconcile's lines.
        Assert.That(objects.Where(o => (string?)o["cluster"] == "metal3/capi-1"), Is.EquivalentTo(reconcileLines));
    }

    [Test]
    public void AnUnknownLogFormatIsRefused() =>
        Assert.That(() => ControllerHost.Build(new ControllerOptions { LogFormat = "xml" }, new FakeKubernetesClient(), new FakeRenderer()), Throws.ArgumentException);

    /// <summary>Runs the host with its own console logging in <paramref name="format"/> until one Cluster is rendered, and returns what it printed.</summary>
    private static async Task<List<string>> ConsoleLinesOfOneReconcile(string format)
    {
        var fake = new FakeKubernetesClient();
        fake.Seed(ResourceType.Cluster, Objects.Cluster("metal3", "capi-1"));
        var console = new StringWriter();
        var original = Console.Out;
        Console.SetOut(console);
        try
        {
            var options = new ControllerOptions { LogFormat = format, LogLevel = LogLevel.Debug, ShutdownTimeout = TimeSpan.FromSeconds(10) };
            using (var host = ControllerHost.Build(options, fake, new FakeRenderer()))
            {
                await host.StartAsync();
                await FakeKubernetesClient.WaitUntilAsync(() => fake.Peek(ResourceType.ClusterResourceSet, "metal3", "capi-1-cilium") is not null);
                await host.StopAsync();
            }

            // Disposing the host flushed the console logger's queue.
            return console.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        }
        finally
        {
            Console.SetOut(original);
        }
    }

    private sealed class CapturingProvider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

        public ConcurrentQueue<(string Message, string Scope)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

        public void Dispose() { }

        private sealed class Logger(CapturingProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner.scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scope = new List<string>();
                owner.scopes.ForEachScope((s, acc) =>
                {
                    if (s is IEnumerable<KeyValuePair<string, object>> kvs) { acc.AddRange(kvs.Select(kv => $"{kv.Key}={kv.Value}")); }
                }, scope);
                owner.Entries.Enqueue((formatter(state, exception), string.Join(",", scope)));
            }
        }
    }
}
