using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CapiCiliumAddon.Controller.Tests.EndToEnd;

/// <summary>One line of tests/fixtures/kube-api/INDEX.tsv: a real kube-apiserver's answer to Method Target.</summary>
internal sealed record Recording(string Name, string Method, string Target, int Status)
{
    public string Path => Target.Split('?')[0];

    public string Query => Target.Contains('?', StringComparison.Ordinal) ? Target[Target.IndexOf('?', StringComparison.Ordinal)..] : "";

    public string Body => File.ReadAllText(System.IO.Path.Combine(Recordings.Directory, Name + ".json"));

    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();
}

internal static class Recordings
{
    public static string Directory => Path.Combine(RepositoryPaths.Fixtures, "kube-api");

    private static readonly Lazy<IReadOnlyDictionary<string, Recording>> Index = new(Load);

    /// <summary>A recorded plain request/response (not the watch streams, whose INDEX lines describe rather than quote).</summary>
    public static Recording Get(string name) => Index.Value.TryGetValue(name, out var r)
        ? r
        : throw new InvalidOperationException($"{name} is not a plain request/response line of {Directory}/INDEX.tsv");

    private static Dictionary<string, Recording> Load()
    {
        var result = new Dictionary<string, Recording>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(Path.Combine(Directory, "INDEX.tsv")))
        {
            var fields = line.Split('\t');
            if (fields.Length == 4 && fields[2].StartsWith('/') && !fields[2].Contains(' ', StringComparison.Ordinal)
                && int.TryParse(fields[3], out var status))
            {
                result[fields[0]] = new Recording(fields[0], fields[1], fields[2], status);
            }
        }

        return result;
    }
}

/// <summary>What the replay server answers to Method Path (query ignored for matching, checked by the tests).
/// <paramref name="Source"/> names the recording, or says how the answer was derived from one.</summary>
internal sealed record ReplayRoute(string Method, string Path, int Status, string Body, string Source)
{
    public static ReplayRoute From(Recording recording) =>
        new(recording.Method, recording.Path, recording.Status, recording.Body, recording.Name);
}

internal sealed record ReplayedRequest(string Method, string Target, string? ContentType, string Body, string Source)
{
    public string Path => Target.Split('?')[0];

    public string Query => Target.Contains('?', StringComparison.Ordinal) ? Target[Target.IndexOf('?', StringComparison.Ordinal)..] : "";
}

/// <summary>
/// An in-process HTTP server on 127.0.0.1 answering from recorded real kube-apiserver responses. A request that no
/// route covers is answered 418 (not retried by the client) and recorded with Source "UNRECORDED".
/// </summary>
internal sealed class ReplayApiServer : IAsyncDisposable
{
    public const string Unrecorded = "UNRECORDED";
    private readonly WebApplication app;

    private ReplayApiServer(WebApplication app, Uri url, ConcurrentQueue<ReplayedRequest> requests)
    {
        this.app = app;
        Url = url;
        Requests = requests;
    }

    public Uri Url { get; }

    public ConcurrentQueue<ReplayedRequest> Requests { get; }

    public static async Task<ReplayApiServer> StartAsync(IReadOnlyList<ReplayRoute> routes)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var requests = new ConcurrentQueue<ReplayedRequest>();
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var target = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
            var path = target.Split('?')[0];
            var route = routes.FirstOrDefault(r => r.Method == context.Request.Method && r.Path == path);
            requests.Enqueue(new ReplayedRequest(context.Request.Method, target, context.Request.ContentType, body, route?.Source ?? Unrecorded));
            context.Response.ContentType = "application/json";
            if (route is null)
            {
                context.Response.StatusCode = 418;
                await context.Response.WriteAsync($$"""{"kind":"Status","apiVersion":"v1","status":"Failure","message":"{{context.Request.Method}} {{path}} is not in the recordings","reason":"Unrecorded","code":418}""");
                return;
            }

            context.Response.StatusCode = route.Status;
            await context.Response.WriteAsync(route.Body);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ReplayApiServer(app, new Uri(address), requests);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
