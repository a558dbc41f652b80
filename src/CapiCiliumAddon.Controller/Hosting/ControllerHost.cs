using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Metrics;
using CapiCiliumAddon.Controller.Queue;
using CapiCiliumAddon.Controller.Reconciliation;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Kubernetes.Events;
using CapiCiliumAddon.Kubernetes.LeaderElection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace CapiCiliumAddon.Controller.Hosting;

/// <summary>The composition root the CLI's `controller` command calls.</summary>
public static class ControllerHost
{
    /// <summary>
    /// Builds the controller host. With <see cref="ControllerOptions.MetricsAddress"/> it is a minimal Kestrel app
    /// serving /healthz, /readyz (Cluster cache synced) and /metrics; without, a plain generic host. Run it with
    /// <c>await host.RunAsync()</c>; SIGTERM stops it gracefully (in-flight renders are cancelled, the Lease released).
    /// </summary>
    /// <param name="loggerFactory">Use this instead of configuring console logging from the options (tests).</param>
    public static IHost Build(ControllerOptions options, IKubernetesClient client, IClusterAddonRenderer renderer, ILoggerFactory? loggerFactory = null)
    {
        options.Validate();
        IHostApplicationBuilder builder;
        WebApplicationBuilder? web = null;
        if (options.MetricsAddress is not null)
        {
            web = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
            web.WebHost.UseUrls($"http://{options.MetricsAddress}");
            builder = web;
        }
        else
        {
            builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory, DisableDefaults = true });
        }

        ConfigureLogging(builder, options, loggerFactory);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(client);
        builder.Services.AddSingleton(renderer);
        // Created here, not resolved, so the exporter below can tell this host's instruments from another's; the
        // container still disposes it (and its meter) with the host.
        var metrics = new ControllerMetrics();
        builder.Services.AddSingleton(_ => metrics);
        builder.Services.AddSingleton(sp => new WorkQueue(options.BackoffBase, options.BackoffMax));
        builder.Services.AddSingleton(sp =>
        {
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("CapiCiliumAddon.Controller.Informer");
            return new Informer(client, options.ClusterType, new InformerOptions
            {
                Namespace = options.Namespace,
                LabelSelector = options.LabelSelector,
                MinBackoff = options.InformerMinBackoff,
                MaxBackoff = options.InformerMaxBackoff,
                OnError = ex => log.LogWarning("Cluster list/watch failed, retrying: {Error}", ex.Message),
            });
        });
        builder.Services.AddSingleton(sp =>
        {
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("CapiCiliumAddon.Controller.Events");
            return new EventRecorder(client, new EventRecorderOptions
            {
                ReportingController = options.FieldManager,
                ReportingInstance = options.Identity,
                DeduplicationWindow = options.EventDeduplicationWindow,
                OnError = ex => log.LogWarning("Could not record an Event: {Error}", ex.Message),
            });
        });
        builder.Services.AddSingleton(sp =>
        {
            var informer = sp.GetRequiredService<Informer>();
            ClusterLookup lookup = (ns, name) => informer.TryGet(ns, name, out var c) ? WithTypeMeta(c!, options.ClusterType) : null;
            return new ClusterReconciler(
                client,
                renderer,
                lookup,
                sp.GetRequiredService<EventRecorder>(),
                sp.GetRequiredService<ControllerMetrics>(),
                new ReconcilerOptions
                {
                    FieldManager = options.FieldManager,
                    LabelSelector = options.LabelSelector,
                    MaxConcurrentRenders = options.MaxConcurrentRenders ?? options.Workers,
                    ClusterResourceSetType = options.ClusterResourceSetType,
                },
                sp.GetRequiredService<ILoggerFactory>().CreateLogger<ClusterReconciler>());
        });
        builder.Services.AddSingleton(sp =>
        {
            LeaderElector? elector = null;
            if (options.LeaderElect)
            {
                var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger<LeaderElector>();
                elector = new LeaderElector(client, new LeaderElectionOptions
                {
                    Namespace = options.LeaderElectionNamespace,
                    LeaseName = options.LeaseName,
                    Identity = options.Identity,
                    LeaseDuration = options.LeaseDuration,
                    RenewDeadline = options.RenewDeadline,
                    RetryPeriod = options.RetryPeriod,
                    OnError = ex => log.LogDebug("Leader election: {Error}", ex.Message),
                });
            }

            return new ControllerService(
                options,
                sp.GetRequiredService<Informer>(),
                sp.GetRequiredService<WorkQueue>(),
                sp.GetRequiredService<ClusterReconciler>(),
                sp.GetRequiredService<ControllerMetrics>(),
                elector,
                sp.GetRequiredService<ILogger<ControllerService>>());
        });
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ControllerService>());

        if (web is null)
        {
            return ((HostApplicationBuilder)builder).Build();
        }

        AddObservability(web, metrics);
        var app = web.Build();
        MapEndpoints(app);
        return app;
    }

    private const string ReadinessTag = "ready";

    private static void AddObservability(IHostApplicationBuilder builder, ControllerMetrics metrics)
    {
        builder.Services.AddHealthChecks().AddCheck<ClusterCacheHealthCheck>("cluster-cache", tags: [ReadinessTag]);
        builder.Services.AddOpenTelemetry().WithMetrics(provider => provider
            .AddMeter(ControllerMetrics.MeterName)
            // A process may run several controllers (the leader-election tests do): the exporter listens by meter
            // name, so each /metrics keeps only the instruments of its own host's meter.
            .AddView(instrument => metrics.Owns(instrument) ? null : MetricStreamConfiguration.Drop)
            .AddPrometheusExporter(o =>
            {
                // Our instrument names are Prometheus names already, and a scrape must see the state of that moment.
                o.DisableTotalNameSuffixForCounters = true;
                o.ScrapeResponseCacheDurationMilliseconds = 0;
            }));
        // Scope and target labels would change every series of the documented metrics; the exporter is an
        // implementation detail of /metrics, not part of its contract.
        builder.Services.Configure<PrometheusAspNetCoreOptions>(o =>
        {
            o.ScopeInfoEnabled = false;
            o.TargetInfoEnabled = false;
        });
    }

    private static void MapEndpoints(WebApplication app)
    {
        // Liveness runs no check: the process answering is the signal. Readiness waits for the Cluster cache.
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WritePlainText });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadinessTag), ResponseWriter = WritePlainText });
        app.MapPrometheusScrapingEndpoint("/metrics");
    }

    /// <summary>"ok", or one line per failing check: what a person running curl against a probe wants to read.</summary>
    private static Task WritePlainText(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var text = report.Status == HealthStatus.Healthy
            ? "ok\n"
            : string.Concat(report.Entries.Values.Where(e => e.Status != HealthStatus.Healthy).Select(e => $"{e.Description}\n"));
        return context.Response.WriteAsync(text);
    }

    private static void ConfigureLogging(IHostApplicationBuilder builder, ControllerOptions options, ILoggerFactory? loggerFactory)
    {
        builder.Logging.ClearProviders();
        if (loggerFactory is not null)
        {
            builder.Services.Replace(ServiceDescriptor.Singleton(loggerFactory));
            return;
        }

        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        if (options.LogFormat == "json")
        {
            builder.Logging.AddConsole(o => o.FormatterName = JsonLinesFormatter.FormatterName)
                .AddConsoleFormatter<JsonLinesFormatter, ConsoleFormatterOptions>();
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
    }

    /// <summary>List items may lack apiVersion/kind; the owner reference and the label patch need them.</summary>
    private static JsonObject WithTypeMeta(JsonObject cluster, ResourceType type)
    {
        cluster["apiVersion"] ??= type.ApiVersion;
        cluster["kind"] ??= type.Kind;
        return cluster;
    }
}
