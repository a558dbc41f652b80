using System.Collections.Concurrent;
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
    public void JsonLogFormatBuildsAHost()
    {
        using var host = CapiCiliumAddon.Controller.Hosting.ControllerHost.Build(
            new CapiCiliumAddon.Controller.Hosting.ControllerOptions { LogFormat = "json" }, new FakeKubernetesClient(), new FakeRenderer());
        Assert.That(host, Is.Not.Null);
        Assert.That(() => CapiCiliumAddon.Controller.Hosting.ControllerHost.Build(
            new CapiCiliumAddon.Controller.Hosting.ControllerOptions { LogFormat = "xml" }, new FakeKubernetesClient(), new FakeRenderer()), Throws.ArgumentException);
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
