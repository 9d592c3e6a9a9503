using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Crane.Cli.Commands;

namespace Crane.Cli;

/// <summary>The <c>crane</c> command tree and its entry point (exit codes: see <see cref="ExitCodes"/>).</summary>
public static class CraneCli
{
    /// <summary>Builds the root command with every subcommand and the shared --server/--timeout options.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "crane: command-line client of a Crane cluster.\n" +
            $"Talks to --server (default $CRANE_SERVER, else ~/.crane/config, else {Common.DefaultServer}) with --token\n" +
            "(default $CRANE_TOKEN, else token: in ~/.crane/config).\n" +
            "Exit codes: 0 ok, 1 the server said no, 2 usage error, 3 server unreachable.");
        root.Options.Add(Common.Server);
        root.Options.Add(Common.Timeout);
        root.Options.Add(Common.Token);
        WorkloadCommands.AddTo(root);
        GetCommands.AddTo(root);
        DescribeCommands.AddTo(root);
        EventsCommand.AddTo(root);
        PolicyCommands.AddTo(root);
        RulesCommands.AddTo(root);
        ClusterCommands.AddTo(root);
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>. A parse error (unknown command or flag, missing or malformed argument) prints
    /// "error: ..." and a hint on stderr and exits with 2; plain <c>crane</c> prints the help.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parse = root.Parse(args.Length == 0 ? ["--help"] : args);
        if (parse.Errors.Count == 0 || parse.Action is not ParseErrorAction)
            return await parse.InvokeAsync();

        foreach (var error in parse.Errors)
            Output.Error(error.Message);
        var path = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as CommandResult)
            path.Insert(0, result.Command == root ? "crane" : result.Command.Name);
        Console.Error.WriteLine($"Run '{string.Join(' ', path)} --help' for usage.");
        return ExitCodes.Usage;
    }
}
