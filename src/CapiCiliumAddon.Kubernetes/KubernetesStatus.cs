using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;

namespace CapiCiliumAddon.Kubernetes;

/// <summary>Turns metav1.Status answers (or any other error body) into the typed exceptions.</summary>
public static class KubernetesStatus
{
    /// <summary>Parses <paramref name="body"/> as a Status when it is one, and picks the exception type.</summary>
    public static KubernetesApiException ToException(HttpStatusCode statusCode, string? body, TimeSpan? retryAfter = null)
    {
        JsonObject? status = null;
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                status = JsonNode.Parse(body) as JsonObject;
            }
            catch (JsonException)
            {
                status = null;
            }
        }

        if (status is not null && AsString(status["kind"]) == "Status")
        {
            return FromStatusObject(statusCode, status, retryAfter);
        }

        var text = body?.Trim();
        var message = string.IsNullOrEmpty(text)
            ? $"HTTP {(int)statusCode} {statusCode} with an empty body"
            : text.Length > 2000 ? text[..2000] + "..." : text;
        return Create(statusCode, DefaultReason(statusCode), message, [], retryAfter);
    }

    /// <summary>
    /// The exception for a Status object. <paramref name="statusCode"/> is the HTTP status; when it is null (an
    /// in-stream watch ERROR event) the Status's own <c>code</c> is used.
    /// </summary>
    public static KubernetesApiException FromStatusObject(HttpStatusCode? statusCode, JsonObject status, TimeSpan? retryAfter = null)
    {
        var code = statusCode ?? (status["code"] is JsonValue v && v.TryGetValue<int>(out var c) ? (HttpStatusCode)c : HttpStatusCode.InternalServerError);
        var reason = AsString(status["reason"]);
        if (string.IsNullOrEmpty(reason))
        {
            reason = DefaultReason(code);
        }

        var message = AsString(status["message"]);
        if (string.IsNullOrEmpty(message))
        {
            message = $"HTTP {(int)code} {reason}";
        }

        var causes = new List<StatusCause>();
        var details = status["details"] as JsonObject;
        if (details?["causes"] is JsonArray array)
        {
            foreach (var item in array.OfType<JsonObject>())
            {
                causes.Add(new StatusCause(AsString(item["reason"]), AsString(item["field"]), AsString(item["message"])));
            }
        }

        if (retryAfter is null && details?["retryAfterSeconds"] is JsonValue r && r.TryGetValue<int>(out var seconds) && seconds > 0)
        {
            retryAfter = TimeSpan.FromSeconds(seconds);
        }

        return Create(code, reason, message, causes, retryAfter);
    }

    /// <summary>The exception for a Status the library parsed (an in-stream watch ERROR event).</summary>
    public static KubernetesApiException FromStatus(V1Status status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var details = status.Details is { } d
            ? new JsonObject
            {
                ["retryAfterSeconds"] = d.RetryAfterSeconds,
                ["causes"] = new JsonArray((d.Causes ?? []).Select(c => (JsonNode?)new JsonObject
                {
                    ["reason"] = c.Reason,
                    ["field"] = c.Field,
                    ["message"] = c.Message,
                }).ToArray()),
            }
            : null;
        return FromStatusObject(null, new JsonObject
        {
            ["kind"] = "Status",
            ["code"] = status.Code,
            ["reason"] = status.Reason,
            ["message"] = status.Message,
            ["details"] = details,
        });
    }

    private static KubernetesApiException Create(HttpStatusCode code, string reason, string message, IReadOnlyList<StatusCause> causes, TimeSpan? retryAfter) =>
        (int)code switch
        {
            400 => new KubernetesBadRequestException(reason, message, causes),
            401 => new KubernetesUnauthorizedException(reason, message, causes),
            403 => new KubernetesForbiddenException(reason, message, causes),
            404 => new KubernetesNotFoundException(reason, message, causes),
            409 when reason == "AlreadyExists" => new KubernetesAlreadyExistsException(reason, message, causes),
            409 => new KubernetesConflictException(reason, message, causes),
            410 => new KubernetesGoneException(reason, message, causes),
            422 => new KubernetesInvalidException(reason, message, causes),
            429 => new KubernetesTooManyRequestsException(reason, message, causes, retryAfter),
            >= 500 and <= 599 => new KubernetesServerErrorException(code, reason, message, causes),
            _ => new KubernetesApiException(code, reason, message, causes),
        };

    private static string DefaultReason(HttpStatusCode code) => (int)code switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        410 => "Expired",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => ((int)code).ToString(CultureInfo.InvariantCulture),
    };

    private static string AsString(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var s) ? s : "";
}
