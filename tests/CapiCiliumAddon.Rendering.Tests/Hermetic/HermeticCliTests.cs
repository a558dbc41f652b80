using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CapiCiliumAddon.Rendering.CiliumCli;
using CapiCiliumAddon.Rendering.Tests.CiliumCli;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Rendering.Tests.Hermetic;

/// <summary>
/// The CLI runner sends no request anywhere. Traps listen where a Kubernetes client in the CLI could
/// go (the parent's in-cluster variables, the parent's KUBECONFIG, client-go's 127.0.0.1:8080 fallback); a stand-in
/// CLI tries to reach every server its environment and kubeconfig name, then runs the fake cilium.
/// </summary>
[NonParallelizable]
public class HermeticCliTests
{
    private static readonly string[] ParentVariables = ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "KUBECONFIG"];

    private TempDirectory _temp = null!;
    private Dictionary<string, string?> _saved = null!;
    private readonly List<Trap> _traps = [];

    [SetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        _saved = ParentVariables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
    }

    [TearDown]
    public void TearDown()
    {
        foreach (var (name, value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        foreach (var trap in _traps)
        {
            trap.Dispose();
        }

        _traps.Clear();
        _temp.Dispose();
    }

    [Test]
    public async Task TheCliReachesNoServerThatTheParentEnvironmentOrKubeconfigPointsTo()
    {
        var trap = Listen(0)!;
        var fallback = Listen(8080);
        if (fallback is null)
        {
            Assert.Warn("127.0.0.1:8080 (client-go's fallback when a kubeconfig is empty) is taken; only the other trap is watched.");
        }

        PointTheParentAt(trap.Port);
        var log = _temp.Combine("probe.log");
        var runner = new CiliumCliRunner(new CiliumCliOptions(StandIn(log)) { Timeout = TimeSpan.FromMinutes(2) });
        var plan = CiliumCliRunnerTests.BareMetalPlan(chart: ChartDirectory.Load(FakeChart.Create(_temp.Combine("chart"), "1.18.12")));

        var result = await runner.RenderAsync(plan, CancellationToken.None);

        Assert.That(result.Failure, Is.Null, () => result.Failure!.ToString());
        Assert.That(result.Manifest, Does.Contain("KUBERNETES_SERVICE_HOST"), "the stand-in ran the fake to the end");
        var probe = File.ReadAllLines(log);
        Assert.Multiple(() =>
        {
            Assert.That(probe, Does.Contain("done"), "the stand-in ran its probes:\n" + string.Join('\n', probe));
            Assert.That(probe.Where(l => l.StartsWith("saw ", StringComparison.Ordinal)), Is.Empty, "KUBERNETES_SERVICE_* reached the CLI");
            Assert.That(probe.Where(l => l.StartsWith("server ", StringComparison.Ordinal)), Is.EqualTo(new[] { "server " + CiliumCliInvocation.UnreachableServer }),
                "the only server the CLI can find is the runner's own unreachable one");
            Assert.That(probe.Where(l => l.StartsWith("connected ", StringComparison.Ordinal)), Is.Empty);
            Assert.That(trap.Connections, Is.Zero, $"connections to the trap on 127.0.0.1:{trap.Port}");
            Assert.That(fallback?.Connections ?? 0, Is.Zero, "connections to the trap on 127.0.0.1:8080");
        });
    }

    /// <summary>The control: the same probe, run directly with the parent's environment, IS caught by the trap,
    /// so the test above could fail.</summary>
    [Test]
    public async Task TheTrapCountsAProbeThatReachesIt()
    {
        var trap = Listen(0)!;
        using (var direct = new TcpClient())
        {
            await direct.ConnectAsync(IPAddress.Loopback, trap.Port);
        }

        await WaitFor(() => trap.Connections >= 1);
        Assert.That(trap.Connections, Is.EqualTo(1), "a direct connection is counted");

        PointTheParentAt(trap.Port);
        var log = _temp.Combine("probe.log");
        var start = new ProcessStartInfo(StandIn(log)) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("version");
        start.ArgumentList.Add("--client");
        using var process = Process.Start(start)!;
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        await WaitFor(() => trap.Connections >= 3);
        var probe = File.ReadAllLines(log);
        Assert.That(probe, Does.Contain($"saw KUBERNETES_SERVICE_HOST=127.0.0.1"));
        Assert.That(probe, Does.Contain($"server https://127.0.0.1:{trap.Port}"));
        Assert.That(probe, Does.Contain($"connected 127.0.0.1:{trap.Port}"));
        Assert.That(trap.Connections, Is.EqualTo(3), "the direct connection plus the probe's two (in-cluster variables and kubeconfig)");
    }

    private Trap? Listen(int port)
    {
        try
        {
            var trap = new Trap(port);
            _traps.Add(trap);
            return trap;
        }
        catch (SocketException) when (port != 0)
        {
            return null;
        }
    }

    /// <summary>What a pod (or a developer's shell) would give the CLI if the runner passed its environment on.</summary>
    private void PointTheParentAt(int port)
    {
        var kubeconfig = _temp.Combine("parent-kubeconfig");
        File.WriteAllText(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: management
              cluster:
                server: https://127.0.0.1:{port}
            contexts:
            - name: management
              context:
                cluster: management
                user: admin
            current-context: management
            users:
            - name: admin
              user:
                token: not-a-real-token

            """);
        Environment.SetEnvironmentVariable("KUBERNETES_SERVICE_HOST", "127.0.0.1");
        Environment.SetEnvironmentVariable("KUBERNETES_SERVICE_PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Environment.SetEnvironmentVariable("KUBECONFIG", kubeconfig);
    }

    /// <summary>
    /// A test-only /bin/sh stand-in for the CLI: logs the KUBERNETES_SERVICE_* variables it sees and the `server:` of
    /// every kubeconfig in $KUBECONFIG (else ~/.kube/config), tries a TCP connection to each (client-go's
    /// 127.0.0.1:8080 fallback when it finds none), then execs the fake cilium.
    /// </summary>
    private string StandIn(string log)
    {
        var fake = FakeCiliumCli.CreateWrapper(_temp.Combine("fake"));
        var directory = _temp.Combine("stand-in");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "cilium");
        File.WriteAllText(path, $$"""
            #!/bin/sh
            # Test-only stand-in for the Cilium CLI: tries to reach every server it can find, then runs the fake.
            log={{Quote(log)}}
            env | grep '^KUBERNETES_SERVICE' | sed 's/^/saw /' >> "$log"
            targets=
            if [ -n "$KUBERNETES_SERVICE_HOST" ]; then targets="$KUBERNETES_SERVICE_HOST:${KUBERNETES_SERVICE_PORT:-443}"; fi
            configs=${KUBECONFIG:-$HOME/.kube/config}
            for config in $(echo "$configs" | tr ':' ' '); do
              [ -f "$config" ] || continue
              for server in $(sed -n 's/^[[:space:]]*server:[[:space:]]*//p' "$config"); do
                echo "server $server" >> "$log"
                hostport=${server#*://}
                targets="$targets ${hostport%%/*}"
              done
            done
            [ -n "$targets" ] || targets=127.0.0.1:8080
            for target in $targets; do
              if timeout 1 bash -c "echo > /dev/tcp/${target%:*}/${target##*:}" 2>/dev/null; then
                echo "connected $target" >> "$log"
              else
                echo "unreachable $target" >> "$log"
              fi
            done
            echo done >> "$log"
            exec {{Quote(fake)}} "$@"

            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Connections are accepted on a background task; give it a moment (generously: the machine is shared).</summary>
    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }

    /// <summary>A listener on 127.0.0.1 that accepts and counts every connection.</summary>
    private sealed class Trap : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private int _connections;

        public Trap(int port)
        {
            _listener = new TcpListener(IPAddress.Loopback, port);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _ = AcceptAsync();
        }

        public int Port { get; }

        public int Connections => Volatile.Read(ref _connections);

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // Stopped.
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }
}
