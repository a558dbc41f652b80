using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests.EndToEnd;

/// <summary>
/// Always run: the requests the opt-in end-to-end tests send, seen by a local HTTP listener, so a path or query
/// mistake shows up without a real server.
/// </summary>
public sealed class LiveApiServerTests
{
    [Test]
    public async Task RequestsGoToTheCoreAndGroupPathsWithStrictValidationAndDryRun()
    {
        using var temp = new TempDirectory();
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var seen = new List<(string Method, string PathAndQuery, string Body)>();
        var serving = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                var body = await new StreamReader(context.Request.InputStream).ReadToEndAsync();
                lock (seen)
                {
                    seen.Add((context.Request.HttpMethod, context.Request.Url!.PathAndQuery, body));
                }

                var notFound = context.Request.HttpMethod == "GET";
                context.Response.StatusCode = notFound ? 404 : 201;
                context.Response.ContentType = "application/json";
                var answer = notFound ? """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}""" : body;
                await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(answer));
                context.Response.Close();
            }
        });
        var kubeconfig = temp.Combine("kubeconfig");
        File.WriteAllText(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: local
              cluster:
                server: http://127.0.0.1:{port}
            contexts:
            - name: local
              context:
                cluster: local
                user: local
            current-context: local
            users:
            - name: local
              user:
                token: test-token
            """);

        using (var server = LiveApiServer.Connect(kubeconfig))
        {
            var ns = LiveApiServer.Reference("v1", "Namespace", null, "e2e");
            var created = await server.CreateAsync(ns);
            var release = JsonNode.Parse("""{"apiVersion":"helm.toolkit.fluxcd.io/v2","kind":"HelmRelease","metadata":{"name":"cilium","namespace":"e2e"},"spec":{"interval":"30m"}}""")!.AsObject();
            await server.CreateAsync(release, dryRun: true);
            var missing = await server.GetAsync(LiveApiServer.Reference("apps/v1", "DaemonSet", "kube-system", "cilium"));
            await server.CreateAsync(LiveApiServer.Reference("networking.k8s.io/v1", "NetworkPolicy", "e2e", "p"));

            Assert.That(created["metadata"]!["name"]!.GetValue<string>(), Is.EqualTo("e2e"));
            Assert.That(missing, Is.Null, "404 reads as absent");
        }

        listener.Stop();
        await serving;
        Assert.That(seen.Select(s => (s.Method, s.PathAndQuery)), Is.EqualTo(new[]
        {
            ("POST", "/api/v1/namespaces?fieldValidation=Strict"),
            ("POST", "/apis/helm.toolkit.fluxcd.io/v2/namespaces/e2e/helmreleases?dryRun=All&fieldValidation=Strict"),
            ("GET", "/apis/apps/v1/namespaces/kube-system/daemonsets/cilium"),
            ("POST", "/apis/networking.k8s.io/v1/namespaces/e2e/networkpolicies?fieldValidation=Strict"),
        }));
        Assert.That(JsonNode.Parse(seen[1].Body)!["spec"]!["interval"]!.GetValue<string>(), Is.EqualTo("30m"), "the body is the object as JSON");
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
