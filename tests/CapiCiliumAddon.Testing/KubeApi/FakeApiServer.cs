using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CapiCiliumAddon.Testing.KubeApi;

/// <summary>One request as the server received it: the raw request line target (path and query), headers of interest, body.</summary>
public sealed record RecordedRequest(
    string Method,
    string Target,
    string? ContentType,
    string Body,
    string? Authorization,
    DateTimeOffset At,
    string? UserAgent,
    string? ClientCertificateSubject)
{
    public string Path => Target.Split('?')[0];

    public string Query => Target.Contains('?', StringComparison.Ordinal) ? Target[Target.IndexOf('?', StringComparison.Ordinal)..] : "";
}

/// <summary>
/// An in-process HTTP(S) server on 127.0.0.1 standing in for a kube-apiserver: real sockets and HTTP framing for the
/// client under test. It records every request and answers through a delegate.
/// </summary>
public sealed class FakeApiServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private FakeApiServer(WebApplication app, Uri url, ConcurrentQueue<RecordedRequest> requests)
    {
        this.app = app;
        Url = url;
        Requests = requests;
    }

    /// <summary>The server's base URL, with a trailing slash (http or https, 127.0.0.1, the port it got).</summary>
    public Uri Url { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; }

    /// <param name="handler">Gets the context, the recorded request and its 0-based sequence number.</param>
    /// <param name="port">0 picks a free port.</param>
    /// <param name="https">Serve TLS with these options; null serves plain HTTP.</param>
    public static async Task<FakeApiServer> StartAsync(Func<HttpContext, RecordedRequest, int, Task> handler, int port = 0, HttpsConnectionAdapterOptions? https = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, listen =>
        {
            if (https is not null)
            {
                listen.UseHttps(https);
            }
        }));
        var app = builder.Build();
        var requests = new ConcurrentQueue<RecordedRequest>();
        var counter = -1;
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var recorded = new RecordedRequest(
                context.Request.Method,
                context.Features.Get<IHttpRequestFeature>()!.RawTarget,
                context.Request.ContentType,
                body,
                context.Request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null,
                DateTimeOffset.UtcNow,
                context.Request.Headers.UserAgent.ToString(),
                context.Connection.ClientCertificate?.Subject);
            requests.Enqueue(recorded);
            await handler(context, recorded, Interlocked.Increment(ref counter));
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeApiServer(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/"), requests);
    }

    /// <summary>Answers <paramref name="json"/> with <paramref name="status"/>, as the API server does (application/json).</summary>
    public static Task Json(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    }

    /// <summary>A Status answer like the API server's (kind Status, status Failure, reason, code).</summary>
    public static Task Status(HttpContext context, int code, string reason, string message) =>
        Json(context, code, $$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":{{System.Text.Json.JsonSerializer.Serialize(message)}},"reason":"{{reason}}","code":{{code}}}""");

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
