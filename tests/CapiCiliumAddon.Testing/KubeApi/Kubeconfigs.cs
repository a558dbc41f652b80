namespace CapiCiliumAddon.Testing.KubeApi;

/// <summary>Kubeconfig files as users keep them, for tests that load them through the real library.</summary>
public static class Kubeconfigs
{
    /// <summary>
    /// A kubeconfig whose user authenticates with an exec credential plugin, like EKS, GKE, AKS and kubelogin: a
    /// script next to it that prints a client.authentication.k8s.io/v1 ExecCredential carrying <paramref name="token"/>
    /// and appends a line to <c>exec-runs.log</c> each time it runs. Returns the kubeconfig's path.
    /// </summary>
    public static string WithExecPlugin(string directory, Uri server, string token, int exitCode = 0)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The credential plugin is a /bin/sh script.");
        }

        Directory.CreateDirectory(directory);
        var plugin = Path.Combine(directory, "credential-plugin.sh");
        var runs = Path.Combine(directory, "exec-runs.log");
        File.WriteAllText(plugin, $$$"""
            #!/bin/sh
            echo "run" >> '{{{runs}}}'
            if [ {{{exitCode}}} -ne 0 ]; then echo "plugin: not logged in" >&2; exit {{{exitCode}}}; fi
            cat <<'JSON'
            {"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"{{{token}}}"}}
            JSON

            """.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = Path.Combine(directory, "kubeconfig");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            current-context: managed
            clusters:
            - name: managed
              cluster:
                server: {server}
            contexts:
            - name: managed
              context:
                cluster: managed
                user: sso
                namespace: metal3
            users:
            - name: sso
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: {plugin}
                  interactiveMode: Never
                  provideClusterInfo: false

            """.ReplaceLineEndings("\n"));
        return path;
    }

    /// <summary>How many times the plugin of <see cref="WithExecPlugin"/> in <paramref name="directory"/> has run.</summary>
    public static int ExecRuns(string directory)
    {
        var log = Path.Combine(directory, "exec-runs.log");
        return File.Exists(log) ? File.ReadAllLines(log).Length : 0;
    }
}
