using CapiCiliumAddon.Cli.Settings;
using CapiCiliumAddon.Rendering.Settings;
using CapiCiliumAddon.Testing;

namespace CapiCiliumAddon.Cli.Tests.Settings;

public class RepositorySettingsTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private string Write(string relativePath, string content)
    {
        var path = _temp.Combine(relativePath.Split('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    [Test]
    public void ReadsEveryKeyWithPathsRelativeToTheFile()
    {
        var path = Write("repo/capi-cilium.yaml", """
            # Render settings for this repository.
            ciliumVersion: 1.19.6
            chartDirectories:
              - charts/cilium-1.19.6   # unpacked from cilium-1.19.6.tgz
              - /opt/charts/cilium-1.20.0
            templates: profiles
            endpointVariable: apiEndpoint
            helmReleaseName: cilium-bootstrap
            helmOwnership: true
            stamp: false
            parallelism: 4
            timeoutSeconds: 90
            installCiliumCli: true
            """);

        var settings = RepositorySettings.Load(path);

        Assert.That(settings.Get<string>("ciliumVersion"), Is.EqualTo("1.19.6"));
        Assert.That(settings.Get<string[]>("chartDirectories"), Is.EqualTo(new[] { _temp.Combine("repo", "charts", "cilium-1.19.6"), "/opt/charts/cilium-1.20.0" }));
        Assert.That(settings.Get<string>("templates"), Is.EqualTo(_temp.Combine("repo", "profiles")));
        Assert.That(settings.Get<string>("endpointVariable"), Is.EqualTo("apiEndpoint"));
        Assert.That(settings.Get<string>("helmReleaseName"), Is.EqualTo("cilium-bootstrap"));
        Assert.That(settings.Get<bool>("helmOwnership"), Is.True);
        Assert.That(settings.Get<bool>("stamp"), Is.False);
        Assert.That(settings.Get<int>("parallelism"), Is.EqualTo(4));
        Assert.That(settings.Get<int>("timeoutSeconds"), Is.EqualTo(90));
        Assert.That(settings.Get<bool>("installCiliumCli"), Is.True);
        Assert.That(RepositorySettings.Definitions.Select(d => d.Key).All(settings.Has), Is.True, "the example holds every key");
    }

    [Test]
    public void ValuesMeanWhatTheyMeanToKubernetesAndHelm()
    {
        // YAML 1.1, as sigs.k8s.io/yaml reads it: yes/off are booleans, 0x4 and 0100 (octal) are integers.
        var settings = RepositorySettings.Load(Write("capi-cilium.yaml", "stamp: yes\nhelmOwnership: off\nparallelism: 0x4\ntimeoutSeconds: 0100\n"));

        Assert.That(settings.Get<bool>("stamp"), Is.True);
        Assert.That(settings.Get<bool>("helmOwnership"), Is.False);
        Assert.That(settings.Get<int>("parallelism"), Is.EqualTo(4));
        Assert.That(settings.Get<int>("timeoutSeconds"), Is.EqualTo(64));
    }

    [Test]
    public void AnEmptyFileSetsNothing() =>
        Assert.That(RepositorySettings.Definitions.Any(d => RepositorySettings.Load(Write("capi-cilium.yaml", "# nothing yet\n")).Has(d.Key)), Is.False);

    [TestCase("ciliumVersion: 1.19.6\ncilumVersion: 1.20.0\n", "line 2: unknown key 'cilumVersion' (known: ciliumVersion, chartDirectories")]
    [TestCase("ciliumVersion: 1.19\n", "line 1: ciliumVersion: '1.19' is not a Cilium version")]
    [TestCase("ciliumVersion: 1.19.6 --kubeconfig=x\n", "line 1: ciliumVersion: '1.19.6 --kubeconfig=x' is not a Cilium version")]
    [TestCase("chartDirectories: charts/cilium\n", "line 1: chartDirectories: must be a list of folders")]
    [TestCase("parallelism: 0\n", "line 1: parallelism: '0' is not a whole number of at least 1")]
    [TestCase("timeoutSeconds: -5\n", "line 1: timeoutSeconds: '-5' is not a whole number of at least 1")]
    [TestCase("stamp: \"yes\"\n", "line 1: stamp: 'yes' is not true or false")]
    [TestCase("stamp: maybe\n", "line 1: stamp: 'maybe' is not true or false")]
    [TestCase("parallelism: \"4\"\n", "line 1: parallelism: '4' is not a whole number of at least 1")]
    [TestCase("helmReleaseName: Cilium_Release\n", "line 1: helmReleaseName: 'Cilium_Release' is not a Helm release name")]
    [TestCase("templates:\n  - a\n", "line 1: templates: must be a single value")]
    [TestCase("- ciliumVersion: 1.19.6\n", "must be a map of settings")]
    [TestCase("ciliumVersion: 1.19.6\nciliumVersion: 1.20.0\n", "duplicate key 'ciliumVersion'")]
    public void ABadFileIsAnErrorNamingTheFileTheLineAndTheKey(string content, string expected)
    {
        var path = Write("capi-cilium.yaml", content);

        var error = Assert.Throws<SettingsFileException>(() => RepositorySettings.Load(path));

        Assert.That(error!.Message, Does.StartWith($"settings file {path}: ").And.Contain(expected));
    }

    [Test]
    public void TheNearestFileUpToTheRepositoryRootIsFound()
    {
        Directory.CreateDirectory(_temp.Combine("repo", ".git"));
        var settings = Write("repo/capi-cilium.yaml", "ciliumVersion: 1.19.6\n");
        var cluster = Write("repo/clusters/site-a/cluster.yaml", "kind: Cluster\n");
        Write("capi-cilium.yaml", "ciliumVersion: 1.18.12\n"); // above the repository: not ours

        Assert.That(RepositorySettings.Find([cluster]), Is.EqualTo(settings));
        Assert.That(RepositorySettings.Find([_temp.Combine("repo", "clusters")]), Is.EqualTo(settings));
        File.Delete(settings);
        Assert.That(RepositorySettings.Find([cluster]), Is.Null, "the search stops at the folder holding .git");
    }

    [Test]
    public void InputsUnderDifferentSettingsFilesAreAnError()
    {
        Write("a/capi-cilium.yaml", "");
        Write("b/capi-cilium.yaml", "");
        Directory.CreateDirectory(_temp.Combine("c", ".git"));

        var error = Assert.Throws<SettingsFileException>(() => RepositorySettings.Find([_temp.Combine("a"), _temp.Combine("b")]));
        Assert.That(error!.Message, Does.Contain("different settings files").And.Contain("--config"));
        Assert.Throws<SettingsFileException>(() => RepositorySettings.Find([_temp.Combine("a"), _temp.Combine("c")]), "one under a file, one under none");
    }

    [TestCase("ciliumVersion: 1.18.12   # bumped by capi-cilium bump\n", "ciliumVersion: 1.19.6   # bumped by capi-cilium bump\n")]
    [TestCase("# settings\nciliumVersion: \"1.18.12\"\nparallelism: 2\n", "# settings\nciliumVersion: \"1.19.6\"\nparallelism: 2\n")]
    [TestCase("ciliumVersion: '1.18.12'\r\nstamp: true\r\n", "ciliumVersion: '1.19.6'\r\nstamp: true\r\n")]
    [TestCase("parallelism: 2\n", "parallelism: 2\nciliumVersion: 1.19.6\n")]
    [TestCase("parallelism: 2", "parallelism: 2\nciliumVersion: 1.19.6\n")]
    [TestCase("stamp: true\r\n", "stamp: true\r\nciliumVersion: 1.19.6\r\n")]
    public void SettingTheVersionIsTheSmallestTextEdit(string before, string after)
    {
        var path = Write("capi-cilium.yaml", before);

        Assert.That(RepositorySettings.SetCiliumVersion(path, CiliumVersion.Parse("1.19.6")), Is.True);

        Assert.That(File.ReadAllText(path), Is.EqualTo(after));
        Assert.That(RepositorySettings.Load(path).Get<string>("ciliumVersion"), Is.EqualTo("1.19.6"));
        Assert.That(RepositorySettings.SetCiliumVersion(path, CiliumVersion.Parse("1.19.6")), Is.False, "already there: nothing written");
        Assert.That(File.ReadAllText(path), Is.EqualTo(after));
    }

    [Test]
    public void SettingTheVersionKeepsAByteOrderMark()
    {
        var path = _temp.Combine("capi-cilium.yaml");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. "ciliumVersion: 1.18.12\n"u8.ToArray()]);

        RepositorySettings.SetCiliumVersion(path, CiliumVersion.Parse("1.19.6"));

        byte[] expected = [0xEF, 0xBB, 0xBF, .. "ciliumVersion: 1.19.6\n"u8.ToArray()];
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(expected));
    }
}
