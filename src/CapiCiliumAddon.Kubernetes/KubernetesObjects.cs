using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace CapiCiliumAddon.Kubernetes;

/// <summary>
/// The library's typed models (V1Lease, Eventsv1Event, ...) through <see cref="IKubernetesClient"/>: for the core
/// objects the add-on builds itself. Namespaced resources only. They travel as JSON written by the library's
/// serializer, with one correction: every time is written with exactly six fractional digits. The API server parses a
/// metav1.MicroTime (Event eventTime, Lease acquireTime and renewTime) only in that form, and the library writes a
/// time on a whole second without any, which the server refuses with 400.
/// </summary>
public static class KubernetesObjects
{
    private static readonly ConcurrentDictionary<Type, ResourceType> Types = new();

    private static readonly JsonSerializerOptions SerializerOptions = CreateSerializerOptions();

    /// <summary>Where the library's model <typeparamref name="T"/> lives in the API (from its KubernetesEntity attribute).</summary>
    public static ResourceType TypeOf<T>()
        where T : IKubernetesObject =>
        Types.GetOrAdd(typeof(T), static type =>
            type.GetCustomAttribute<KubernetesEntityAttribute>() is { } entity
                ? new ResourceType(entity.Group ?? "", entity.ApiVersion, entity.PluralName, entity.Kind)
                : throw new ArgumentException($"{type.Name} is not a Kubernetes model (no KubernetesEntity attribute)"));

    public static JsonObject ToJsonObject(object value) =>
        JsonSerializer.SerializeToNode(value, value.GetType(), SerializerOptions) as JsonObject
        ?? throw new ArgumentException($"{value.GetType().Name} does not serialize to a JSON object", nameof(value));

    public static T FromJsonObject<T>(JsonObject obj) =>
        obj.Deserialize<T>(SerializerOptions) ?? throw new InvalidDataException($"not a {typeof(T).Name}: {obj.ToJsonString()}");

    public static async Task<T> GetAsync<T>(this IKubernetesClient client, string @namespace, string name, CancellationToken cancellationToken)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(client);
        return FromJsonObject<T>(await client.GetAsync(TypeOf<T>(), @namespace, name, cancellationToken).ConfigureAwait(false));
    }

    public static async Task<T> CreateAsync<T>(this IKubernetesClient client, T obj, CancellationToken cancellationToken)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(client);
        return FromJsonObject<T>(await client.CreateAsync(TypeOf<T>(), WithTypeMeta(obj), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>PUT; the object's metadata.resourceVersion makes it a compare-and-swap.</summary>
    public static async Task<T> ReplaceAsync<T>(this IKubernetesClient client, T obj, CancellationToken cancellationToken)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(client);
        return FromJsonObject<T>(await client.ReplaceAsync(TypeOf<T>(), WithTypeMeta(obj), cancellationToken).ConfigureAwait(false));
    }

    private static JsonObject WithTypeMeta<T>(T obj)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(obj);
        var json = ToJsonObject(obj);
        var type = TypeOf<T>();
        json["apiVersion"] ??= type.ApiVersion;
        json["kind"] ??= type.Kind;
        return json;
    }

    private static JsonSerializerOptions CreateSerializerOptions()
    {
        JsonSerializerOptions? options = null;

        // The library hands out its options only through this callback; copy them rather than change them for everyone.
        KubernetesJson.AddJsonOptions(library => options = new JsonSerializerOptions(library));
        options!.Converters.Insert(0, new SixFractionalDigitsConverter());
        return options;
    }

    private sealed class SixFractionalDigitsConverter : JsonConverter<DateTime>
    {
        private static readonly KubernetesJson.KubernetesDateTimeConverter Library = new();

        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Library.Read(ref reader, typeToConvert, options);

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
    }
}
