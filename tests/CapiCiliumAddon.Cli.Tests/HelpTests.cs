using System.CommandLine;

namespace CapiCiliumAddon.Cli.Tests;

public class HelpTests
{
    private static async Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await CliApp.RunAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Test]
    public async Task TheToolsHelpListsEveryCommandOnOneShortLine()
    {
        var (exit, stdout, stderr) = await Run("--help");

        Assert.That(exit, Is.EqualTo(0), stderr);
        var commands = CliApp.Build().Subcommands.Select(c => c.Name).ToList();
        var commandLines = stdout.Split('\n').SkipWhile(l => l != "Commands:").Skip(1).TakeWhile(l => l.Length > 0).ToList();
        Assert.That(commandLines.Select(l => l.Trim().Split(' ')[0]), Is.EqualTo(commands));
        Assert.That(commandLines, Has.All.Length.LessThanOrEqualTo(120));
        Assert.That(stdout, Does.Not.Contain("Exit codes").And.Not.Contain("api-server-endpoint"), "long text belongs to each command's own help");
    }

    [Test]
    public void EveryCommandStartsItsDescriptionWithAOneLineSummary()
    {
        foreach (var command in CliApp.Build().Subcommands)
        {
            var description = command.Description ?? "";
            Assert.That(description, Does.Contain("\n\n"), $"{command.Name}: a summary line, a blank line, then the details");
            Assert.That(CliApp.Summary(command), Does.EndWith(".").And.Length.LessThanOrEqualTo(100), command.Name);
        }
    }

    [TestCase("lint", "api-server-endpoint")]
    [TestCase("render", "Exit codes")]
    [TestCase("check", "Exit codes")]
    public async Task ACommandsHelpHoldsItsLongTextEvenWithoutItsRequiredArguments(string command, string expected)
    {
        var (exit, stdout, stderr) = await Run(command, "--help");

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stderr, Is.Empty);
        Assert.That(stdout, Does.Contain(expected).And.Contain("Options:"));
    }
}
