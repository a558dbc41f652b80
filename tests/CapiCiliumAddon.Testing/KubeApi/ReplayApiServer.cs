using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace CapiCiliumAddon.Testing.KubeApi;

/// <summary>What the replay server answers to Method Path (query ignored for matching, checked by the tests).
/// <paramref name="Source"/> names the recording, or says how the answer was derived from one.</summary>
public sealed record ReplayRoute(string Method, string Path, int Status, string Body, string Source)
{
    public static ReplayRoute From(Recording recording) =>
        new(recording.Method, recording.Path, recording.Status, recording.Body, recording.Name);
}

public sealed record ReplayedRequest(string Method, string Target, string? ContentType, string Body, string? Authorization, string Source)
{
    public string Path => Target.Split('?')[0];

    public string Query => Target.Contains('?', StringComparison.Ordinal) ? Target[Target.IndexOf('?', StringComparison.Ordinal)..] : "";
}

/// <summary>
/// A <see cref="FakeApiServer"/> answering from recorded real kube-apiserver responses. A request that no route covers
/// is answered 418 (not retried by the client) and recorded with Source "UNRECORDED". With a bearer token it checks
/// every request's Authorization header like the API server's authenticator, answering a wrong or missing one with
/// the recorded 401.
/// </summary>
public sealed class ReplayApiServer : IAsyncDisposable
{
    public const string Unrecorded = "UNRECORDED";
    public const string Unauthenticated = "list-clusters-unauthorized-401";

    private readonly FakeApiServer server;

    private ReplayApiServer(FakeApiServer server, ConcurrentQueue<ReplayedRequest> requests)
    {
        this.server = server;
        Requests = requests;
    }

    public Uri Url => server.Url;

    public ConcurrentQueue<ReplayedRequest> Requests { get; }

    public static async Task<ReplayApiServer> StartAsync(IReadOnlyList<ReplayRoute> routes, string? bearerToken = null)
    {
        var requests = new ConcurrentQueue<ReplayedRequest>();
        var unauthenticated = ReplayRoute.From(KubeApiRecordings.Get(Unauthenticated));
        var server = await FakeApiServer.StartAsync(async (context, request, _) =>
        {
            var route = bearerToken is not null && request.Authorization != $"Bearer {bearerToken}"
                ? unauthenticated
                : routes.FirstOrDefault(r => r.Method == request.Method && r.Path == request.Path);
            requests.Enqueue(new ReplayedRequest(request.Method, request.Target, request.ContentType, request.Body, request.Authorization, route?.Source ?? Unrecorded));
            if (route is null)
            {
                await FakeApiServer.Status(context, StatusCodes.Status418ImATeapot, "Unrecorded", $"{request.Method} {request.Path} is not in the recordings");
                return;
            }

            await FakeApiServer.Json(context, route.Status, route.Body);
        });
        return new ReplayApiServer(server, requests);
    }

    public ValueTask DisposeAsync() => server.DisposeAsync();
}
