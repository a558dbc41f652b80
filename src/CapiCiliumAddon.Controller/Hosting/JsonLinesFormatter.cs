using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace CapiCiliumAddon.Controller.Hosting;

/// <summary>
/// `--log-format json`: one flat JSON object per line, as Kubernetes controllers write their logs, so that
/// <c>jq 'select(.cluster == "metal3/site-a")'</c> finds every line about a Cluster:
/// <code>{"time":"2026-01-01T12:00:00.000Z","level":"info","logger":"CapiCiliumAddon.Controller.Reconciliation.ClusterReconciler","message":"...","cluster":"metal3/site-a"}</code>
/// After time, level, logger and message come the fields of the active scopes (outermost first), then the message's
/// own template values, then error and stacktrace for an exception. A key already written is not written again, so
/// every line is an object without duplicate keys. Microsoft's JsonConsoleFormatter nests the same data under
/// "Scopes" and "State", where a selector on a top-level field finds nothing.
/// </summary>
public sealed class JsonLinesFormatter : ConsoleFormatter
{
    public const string FormatterName = "json-lines";

    private const string OriginalFormatKey = "{OriginalFormat}";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Log lines are read by people and log pipelines, never embedded in HTML: keep '<', '+', quotes and
        // non-ASCII text readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    private readonly TimeProvider timeProvider;

    public JsonLinesFormatter()
        : this(TimeProvider.System)
    {
    }

    public JsonLinesFormatter(TimeProvider timeProvider)
        : base(FormatterName) => this.timeProvider = timeProvider;

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            var written = new HashSet<string>(StringComparer.Ordinal) { "time", "level", "logger", "message" };
            json.WriteStartObject();
            json.WriteString("time", timeProvider.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("level", LevelName(logEntry.LogLevel));
            json.WriteString("logger", logEntry.Category);
            json.WriteString("message", message ?? "");
            scopeProvider?.ForEachScope((scope, state) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> fields)
                {
                    WriteFields(state.Json, fields, state.Written);
                }
            }, (Json: json, Written: written));
            if (logEntry.State is IEnumerable<KeyValuePair<string, object?>> values)
            {
                WriteFields(json, values, written);
            }

            if (logEntry.Exception is { } exception)
            {
                if (written.Add("error"))
                {
                    json.WriteString("error", exception.Message);
                }

                if (written.Add("stacktrace"))
                {
                    json.WriteString("stacktrace", exception.ToString());
                }
            }

            json.WriteEndObject();
        }

        textWriter.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        textWriter.Write('\n');
    }

    /// <summary>The level names of Kubernetes controllers' structured logs (zap, as controller-runtime uses it).</summary>
    public static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        LogLevel.Critical => "critical",
        _ => level.ToString().ToLowerInvariant(),
    };

    private static void WriteFields(Utf8JsonWriter json, IEnumerable<KeyValuePair<string, object?>> fields, HashSet<string> written)
    {
        foreach (var (key, value) in fields)
        {
            if (key == OriginalFormatKey || !written.Add(key))
            {
                continue;
            }

            json.WritePropertyName(key);
            WriteValue(json, value);
        }
    }

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case string text:
                json.WriteStringValue(text);
                break;
            case bool flag:
                json.WriteBooleanValue(flag);
                break;
            case int or long or short or byte or uint or ulong or ushort or sbyte:
                json.WriteRawValue(Convert.ToString(value, CultureInfo.InvariantCulture)!);
                break;
            case double number when double.IsFinite(number):
                json.WriteNumberValue(number);
                break;
            case float number when float.IsFinite(number):
                json.WriteNumberValue(number);
                break;
            case decimal number:
                json.WriteNumberValue(number);
                break;
            case DateTimeOffset moment:
                json.WriteStringValue(moment.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                break;
            case DateTime moment:
                json.WriteStringValue(moment.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
                break;
            default:
                json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
