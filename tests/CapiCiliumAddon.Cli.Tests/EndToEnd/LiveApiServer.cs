using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;

namespace CapiCiliumAddon.Cli.Tests.EndToEnd;

/// <summary>
/// A real kube-apiserver named by E2E_KUBECONFIG, reached with the KubernetesClient library. Objects of any kind go
/// through its custom-object calls: for the core group ("") a handler turns the "/apis//v1" path they build into
/// "/api/v1", the way the library's own GenericClient does.
/// </summary>
internal sealed class LiveApiServer : IDisposable
{
    public const string KubeConfigVariable = "E2E_KUBECONFIG";

    private LiveApiServer(string kubeconfig)
    {
        KubeConfigPath = kubeconfig;
        Client = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig), new CoreGroupPaths());
    }

    public string KubeConfigPath { get; }

    public k8s.Kubernetes Client { get; }

    /// <summary>The server, or the test is ignored with what to set.</summary>
    public static LiveApiServer FromEnvironment(string why)
    {
        var kubeconfig = Environment.GetEnvironmentVariable(KubeConfigVariable);
        if (string.IsNullOrEmpty(kubeconfig))
        {
            Assert.Ignore($"skipped: set {KubeConfigVariable} to the kubeconfig of a real kube-apiserver {why}");
        }

        return Connect(kubeconfig);
    }

    public static LiveApiServer Connect(string kubeconfig) => new(kubeconfig);

    public void Dispose() => Client.Dispose();

    /// <summary>
    /// POST of <paramref name="obj"/> to its collection; <paramref name="dryRun"/> "All" persists nothing. With
    /// <paramref name="strict"/> unknown fields are errors; without, the server's default applies (as for a
    /// ClusterResourceSet, which sets no field validation).
    /// </summary>
    public async Task<JsonObject> CreateAsync(JsonObject obj, bool dryRun = false, bool strict = true, CancellationToken cancellationToken = default)
    {
        var fieldValidation = strict ? "Strict" : null;
        var (group, version, plural) = Coordinates(obj);
        var ns = Namespace(obj);
        var created = ns is null
            ? await Client.CustomObjects.CreateClusterCustomObjectAsync(obj, group, version, plural,
                dryRun: dryRun ? "All" : null, fieldValidation: fieldValidation, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await Client.CustomObjects.CreateNamespacedCustomObjectAsync(obj, group, version, ns, plural,
                dryRun: dryRun ? "All" : null, fieldValidation: fieldValidation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return ToJson(created);
    }

    /// <summary>The live object with the identity of <paramref name="obj"/>, or null when there is none.</summary>
    public async Task<JsonObject?> GetAsync(JsonObject obj, CancellationToken cancellationToken = default)
    {
        var (group, version, plural) = Coordinates(obj);
        var ns = Namespace(obj);
        var name = obj["metadata"]!["name"]!.GetValue<string>();
        try
        {
            var found = ns is null
                ? await Client.CustomObjects.GetClusterCustomObjectAsync(group, version, plural, name, cancellationToken).ConfigureAwait(false)
                : await Client.CustomObjects.GetNamespacedCustomObjectAsync(group, version, ns, plural, name, cancellationToken).ConfigureAwait(false);
            return ToJson(found);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Deletes the object with the identity of <paramref name="obj"/>; true when it was there.</summary>
    public async Task<bool> DeleteAsync(JsonObject obj, CancellationToken cancellationToken = default)
    {
        var (group, version, plural) = Coordinates(obj);
        var ns = Namespace(obj);
        var name = obj["metadata"]!["name"]!.GetValue<string>();
        try
        {
            if (ns is null)
            {
                await Client.CustomObjects.DeleteClusterCustomObjectAsync(group, version, plural, name, propagationPolicy: "Background", cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(group, version, ns, plural, name, propagationPolicy: "Background", cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>A bare reference (apiVersion, kind, name, namespace) usable with <see cref="GetAsync"/> and <see cref="DeleteAsync"/>.</summary>
    public static JsonObject Reference(string apiVersion, string kind, string? ns, string name) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["metadata"] = ns is null ? new JsonObject { ["name"] = name } : new JsonObject { ["name"] = name, ["namespace"] = ns },
    };

    public static string Describe(JsonObject obj) =>
        $"{obj["kind"]} {(Namespace(obj) is { } ns ? ns + "/" : "")}{obj["metadata"]!["name"]}";

    private static string? Namespace(JsonObject obj) => (string?)obj["metadata"]?["namespace"] is { Length: > 0 } ns ? ns : null;

    /// <summary>Group, version and resource of the object's kind (regular English plurals cover every kind used here).</summary>
    private static (string Group, string Version, string Plural) Coordinates(JsonObject obj)
    {
        var apiVersion = obj["apiVersion"]!.GetValue<string>();
        var slash = apiVersion.IndexOf('/');
        var kind = obj["kind"]!.GetValue<string>().ToLowerInvariant();
        var plural = kind.EndsWith('y') ? kind[..^1] + "ies" : kind.EndsWith('s') ? kind + "es" : kind + "s";
        return slash < 0 ? ("", apiVersion, plural) : (apiVersion[..slash], apiVersion[(slash + 1)..], plural);
    }

    private static JsonObject ToJson(object response) => response switch
    {
        JsonElement element => JsonNode.Parse(element.GetRawText())!.AsObject(),
        JsonNode node => node.AsObject(),
        _ => JsonNode.Parse(KubernetesJson.Serialize(response))!.AsObject(),
    };

    /// <summary>The library builds "/apis/{group}/{version}" even for the core group; the core API lives at "/api/v1".</summary>
    private sealed class CoreGroupPaths : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri is { } uri && uri.AbsolutePath.Contains("/apis//", StringComparison.Ordinal))
            {
                request.RequestUri = new Uri(uri, uri.AbsolutePath.Replace("/apis//", "/api/", StringComparison.Ordinal) + uri.Query);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
