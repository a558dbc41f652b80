using System.Text.Json.Nodes;
using CapiCiliumAddon.Controller.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CapiCiliumAddon.Controller.Tests.Controller;

public sealed class JsonLinesFormatterTests
{
    private static readonly Func<ILogger, string, IDisposable?> ClusterScope = LoggerMessage.DefineScope<string>("cluster={cluster}");

    [Test]
    public void ALineIsOneFlatObjectWithTheClusterAtTheTop()
    {
        var line = WriteOne(LogLevel.Information, "Rendered {Objects} objects with {Renderer} in {Seconds} s", [3, "stamped", 0.25], scopes: ["metal3/site-a"]);

        Assert.That(line, Is.EqualTo(
            """{"time":"2026-03-01T12:30:45.123Z","level":"info","logger":"CapiCiliumAddon.Controller.Reconciliation.ClusterReconciler","message":"Rendered 3 objects with stamped in 0.25 s","cluster":"metal3/site-a","Objects":3,"Renderer":"stamped","Seconds":0.25}""" + "\n"));
    }

    [Test]
    public void AnExceptionBecomesErrorAndStacktrace()
    {
        var line = JsonNode.Parse(WriteOne(LogLevel.Error, "Reconcile failed", [], scopes: ["metal3/site-a"], exception: new InvalidOperationException("the API server said no")))!.AsObject();

        Assert.That((string?)line["level"], Is.EqualTo("error"));
        Assert.That((string?)line["error"], Is.EqualTo("the API server said no"));
        Assert.That((string?)line["stacktrace"], Does.StartWith("System.InvalidOperationException: the API server said no"));
    }

    [Test]
    public void AKeyIsWrittenOnceTheOutermostScopeWinning()
    {
        // A template value named like a scope field, and nested scopes for two Clusters: jq would see the last
        // duplicate, so the formatter must not write one at all.
        var line = WriteOne(LogLevel.Warning, "Skipped {cluster} at {level}", ["other/name", "high"], scopes: ["metal3/site-a", "metal3/site-b"]);

        Assert.That(line.Split("\"cluster\":").Length - 1, Is.EqualTo(1), line);
        Assert.That(line.Split("\"level\":").Length - 1, Is.EqualTo(1), line);
        var parsed = JsonNode.Parse(line)!.AsObject();
        Assert.That((string?)parsed["cluster"], Is.EqualTo("metal3/site-a"));
        Assert.That((string?)parsed["level"], Is.EqualTo("warn"));
        Assert.That((string?)parsed["message"], Is.EqualTo("Skipped other/name at high"));
    }

    [Test]
    public void AMessageWithQuotesAndLineBreaksStaysOnOneLine()
    {
        var line = WriteOne(LogLevel.Information, "{Text}", ["line one\n\"two\" <three> é"], scopes: []);

        Assert.That(line.TrimEnd('\n'), Does.Not.Contain("\n"));
        Assert.That((string?)JsonNode.Parse(line)!["message"], Is.EqualTo("line one\n\"two\" <three> é"));
        Assert.That(line, Does.Contain("<three> é"), "readable, not \\u-escaped");
    }

    private static string WriteOne(LogLevel level, string template, object?[] values, string[] scopes, Exception? exception = null)
    {
        var scopeProvider = new LoggerExternalScopeProvider();
        var capture = new CapturingLogger(scopeProvider);
        var opened = scopes.Select(s => ClusterScope(capture, s)).ToList();
        try
        {
            var state = new FormattedState(template, values);
            var entry = new LogEntry<FormattedState>(level, "CapiCiliumAddon.Controller.Reconciliation.ClusterReconciler", default, state, exception, (s, _) => s.ToString());
            var writer = new StringWriter();
            new JsonLinesFormatter(new FixedTime()).Write(entry, scopeProvider, writer);
            return writer.ToString();
        }
        finally
        {
            foreach (var scope in Enumerable.Reverse(opened)) { scope?.Dispose(); }
        }
    }

    /// <summary>The state a LoggerMessage template produces: its named values, then {OriginalFormat}.</summary>
    private sealed class FormattedState : List<KeyValuePair<string, object?>>
    {
        private readonly string text;

        public FormattedState(string template, object?[] values)
        {
            var names = System.Text.RegularExpressions.Regex.Matches(template, @"\{([^}]+)\}").Select(m => m.Groups[1].Value).ToList();
            text = template;
            for (var i = 0; i < names.Count; i++)
            {
                Add(new(names[i], values[i]));
                text = text.Replace("{" + names[i] + "}", Convert.ToString(values[i], System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            }

            Add(new("{OriginalFormat}", template));
        }

        public override string ToString() => text;
    }

    private sealed class FixedTime : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 3, 1, 12, 30, 45, 123, TimeSpan.Zero);
    }

    private sealed class CapturingLogger(IExternalScopeProvider scopes) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
        }
    }
}
