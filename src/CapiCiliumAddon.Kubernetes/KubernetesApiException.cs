using System.Net;

namespace CapiCiliumAddon.Kubernetes;

/// <summary>
/// A non-2xx answer, carrying the server's metav1.Status. Subclasses exist for the reasons a caller acts on
/// differently; <see cref="KubernetesApiException.FromStatus"/> picks the right one.
/// </summary>
public class KubernetesApiException(HttpStatusCode statusCode, string reason, string message, IReadOnlyList<StatusCause> causes)
    : Exception(message)
{
    public HttpStatusCode StatusCode { get; } = statusCode;

    /// <summary>metav1.Status reason, e.g. "NotFound", "AlreadyExists", "Conflict", "Invalid", "Expired".</summary>
    public string Reason { get; } = reason;

    public IReadOnlyList<StatusCause> Causes { get; } = causes;

    /// <summary>
    /// The typed exception for an error answer. <paramref name="body"/> is the response body: a metav1.Status
    /// (message, reason, details.causes are used) or anything else (plain text becomes the message).
    /// <paramref name="retryAfter"/> is the Retry-After header, if any; for 429 a Status's details.retryAfterSeconds
    /// is used when the header is absent.
    /// </summary>
    public static KubernetesApiException FromStatus(HttpStatusCode statusCode, string? body, TimeSpan? retryAfter = null) =>
        KubernetesStatus.ToException(statusCode, body, retryAfter);
}

public sealed record StatusCause(string? Type, string? Field, string? Message);

public sealed class KubernetesNotFoundException(string reason, string message, IReadOnlyList<StatusCause> causes)
    : KubernetesApiException(HttpStatusCode.NotFound, reason, message, causes);

/// <summary>409 with reason AlreadyExists (create of an existing name).</summary>
public sealed class KubernetesAlreadyExistsException(string reason, string message, IReadOnlyList<StatusCause> causes)
    : KubernetesApiException(HttpStatusCode.Conflict, reason, message, causes);

/// <summary>409 Conflict: a stale resourceVersion, or a server-side apply field owned by another manager (see Causes).</summary>
public sealed class KubernetesConflictException(string reason, string message, IReadOnlyList<StatusCause> causes)
    : KubernetesApiException(HttpStatusCode.Conflict, reason, message, causes);

/// <summary>422 Invalid: the object failed validation; Causes name the fields.</summary>
public sealed class KubernetesInvalidException(string reason, string message, IReadOnlyList<StatusCause> causes)
    : KubernetesApiException(HttpStatusCode.UnprocessableEntity, reason, message, causes);

public sealed class KubernetesBadRequestException(string reason, string message, IReadOnlyList<StatusCause> causes)
    : KubernetesApiException(HttpStatusCode.BadRequest, reason, message, causes);

public sealed class KubernetesForbiddenException(string reason, string message, IReadOnlyList<StatusCause> causes)
    : KubernetesApiException(HttpStatusCode.Forbidden, reason, message, causes);

public sealed class KubernetesUnauthorizedException(string reason, string message, IReadOnlyList<StatusCause> causes)
    : KubernetesApiException(HttpStatusCode.Unauthorized, reason, message, causes);

/// <summary>410 Gone / reason Expired: the resourceVersion is too old; re-list.</summary>
public sealed class KubernetesGoneException(string reason, string message, IReadOnlyList<StatusCause> causes)
    : KubernetesApiException(HttpStatusCode.Gone, reason, message, causes);

public sealed class KubernetesTooManyRequestsException(string reason, string message, IReadOnlyList<StatusCause> causes, TimeSpan? retryAfter)
    : KubernetesApiException(HttpStatusCode.TooManyRequests, reason, message, causes)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>5xx.</summary>
public sealed class KubernetesServerErrorException(HttpStatusCode statusCode, string reason, string message, IReadOnlyList<StatusCause> causes)
    : KubernetesApiException(statusCode, reason, message, causes);
