using System.CommandLine;
using CapiCiliumAddon.Cli.Settings;
using CapiCiliumAddon.Controller;
using CapiCiliumAddon.Controller.Hosting;
using CapiCiliumAddon.Kubernetes;
using CapiCiliumAddon.Rendering;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Pipeline;
using CapiCiliumAddon.Rendering.Pipeline.Stamping;
using CapiCiliumAddon.Rendering.Planning;
using k8s.Exceptions;
using Microsoft.Extensions.Hosting;

namespace CapiCiliumAddon.Cli.Commands;

/// <summary>`capi-cilium controller`: the add-on itself, run in the management cluster.</summary>
public static class ControllerCommand
{
    public static Command Create()
    {
        var kubernetes = new KubernetesOptions();
        var environment = new RenderEnvironmentOptions { ReadsClusterFiles = false };
        var workers = new Option<int>("--workers") { Description = "Clusters reconciled at once (each render holds ~125 MB).", DefaultValueFactory = _ => 2 };
        var leaderElect = new Option<bool>("--leader-elect") { Description = "Run only while holding the Lease, so several replicas never write at once." };
        var metricsAddress = new Option<string?>("--metrics-address") { Description = "host:port serving /healthz, /readyz and /metrics (Prometheus text)." };
        var logFormat = new Option<string>("--log-format") { Description = "text or json (one structured line per event).", DefaultValueFactory = _ => "text" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var command = new Command("controller", $"""
            Run the controller that keeps labelled Clusters supplied with Cilium.

            Watch Clusters labelled {AddonKeys.CniLabel}: {AddonKeys.CniLabelValue} and keep each supplied with a ConfigMap and an ApplyOnce
            ClusterResourceSet (server-side apply, owned by the Cluster). Clusters without an endpoint get an Event and
            are rendered as soon as it appears; unchanged inputs are never re-rendered; objects of our names that we do
            not manage are never overwritten. Uses the same --cilium and --chart-directory as render.
            """);
        kubernetes.AddTo(command);
        environment.AddTo(command);
        command.Options.Add(workers);
        command.Options.Add(leaderElect);
        command.Options.Add(metricsAddress);
        command.Options.Add(logFormat);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stderr = parseResult.InvocationConfiguration.Error;
            try
            {
                // Live Clusters, no files: only an explicit --config supplies settings here.
                var settings = environment.Resolve(parseResult, inputs: null);
                var charts = RenderEnvironmentOptions.LoadCharts(settings);
                var runner = await RenderEnvironmentOptions.CreateRunnerAsync(settings, stderr, cancellationToken).ConfigureAwait(false);
                var cliVersion = await runner.GetVersionAsync(cancellationToken).ConfigureAwait(false);
                using var client = kubernetes.CreateClient(parseResult);
                var (clusterType, crsType) = await KubernetesOptions.DiscoverAsync(client, cancellationToken).ConfigureAwait(false);
                var pipeline = new AddonRenderPipeline(runner);
                var renderer = new CoreClusterAddonRenderer(
                    new RenderPlanner(RenderEnvironmentOptions.CreatePlanContext(settings, charts, cliVersion)),
                    pipeline,
                    settings.Stamp ? new StampTemplateCache(runner, pipeline) : null);
                var options = new ControllerOptions
                {
                    Namespace = parseResult.GetValue(kubernetes.Namespace),
                    LabelSelector = $"{AddonKeys.CniLabel}={AddonKeys.CniLabelValue}",
                    Workers = parseResult.GetValue(workers),
                    MaxConcurrentRenders = settings.Parallelism,
                    ClusterType = clusterType,
                    ClusterResourceSetType = crsType,
                    FieldManager = AddonKeys.FieldManager,
                    LeaderElect = parseResult.GetValue(leaderElect),
                    MetricsAddress = parseResult.GetValue(metricsAddress),
                    LogFormat = parseResult.GetValue(logFormat)!,
                };
                options.Validate();
                using var host = ControllerHost.Build(options, client, renderer);
                await host.RunAsync(cancellationToken).ConfigureAwait(false);
                return CliApp.Success;
            }
            catch (Exception e) when (e is ChartDirectoryException or SettingsFileException or CiliumCliNotFoundException or CiliumCliInstallException or CiliumCliException or CommandRunException
                or KubernetesApiException or KubernetesConnectionException or KubeConfigException or ArgumentException)
            {
                await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return CliApp.UsageError;
            }
        });
        return command;
    }
}
