using System.CommandLine;
using System.Text.Json;

namespace Crane.Cli.Commands;

/// <summary>Options every command shares (--server, --timeout), and the wrapper that turns failures into exit codes.</summary>
public static class Common
{
    /// <summary>Where the API is when neither --server nor CRANE_SERVER says.</summary>
    public const string DefaultServer = "http://127.0.0.1:8080";

    /// <summary>--server: the Crane API; defaults to $CRANE_SERVER, else server: in ~/.crane/config, else <see cref="DefaultServer"/>.</summary>
    public static readonly Option<string> Server = new("--server", "-s")
    {
        Description = "Crane API URL (default: $CRANE_SERVER, else server: in ~/.crane/config)",
        Recursive = true,
        HelpName = "url",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CRANE_SERVER") is { Length: > 0 } env ? env : CliConfig.Load().Server ?? DefaultServer,
    };

    /// <summary>--token: the bearer token every request carries; defaults to $CRANE_TOKEN, else token: in ~/.crane/config.</summary>
    public static readonly Option<string?> Token = new("--token")
    {
        Description = "API bearer token (default: $CRANE_TOKEN, else token: in ~/.crane/config; ./run.sh writes .crane-data/admin.token)",
        Recursive = true,
        HelpName = "token",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CRANE_TOKEN") is { Length: > 0 } env ? env : CliConfig.Load().Token,
    };

    /// <summary>--timeout: seconds one request may take before the server counts as unreachable.</summary>
    public static readonly Option<double> Timeout = new("--timeout")
    {
        Description = "seconds a request may take before the server counts as unreachable (exit code 3)",
        Recursive = true,
        HelpName = "seconds",
        DefaultValueFactory = _ => 60,
    };

    static Common()
    {
        Timeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is <= 0 or > 3600)
                r.AddError("--timeout must be between 0 and 3600 seconds");
        });
    }

    /// <summary>A required name argument; a value that looks like a flag is an unknown flag (usage error), not a name.</summary>
    public static Argument<string> Name(string name, string description)
    {
        var argument = new Argument<string>(name) { Description = description };
        argument.Validators.Add(RejectFlags);
        return argument;
    }

    /// <summary>An optional name argument (see <see cref="Name"/>).</summary>
    public static Argument<string?> OptionalName(string name, string description)
    {
        var argument = new Argument<string?>(name) { Description = description, Arity = ArgumentArity.ZeroOrOne };
        argument.Validators.Add(RejectFlags);
        return argument;
    }

    /// <summary>One or more names (see <see cref="Name"/>).</summary>
    public static Argument<string[]> Names(string name, string description)
    {
        var argument = new Argument<string[]>(name) { Description = description, Arity = ArgumentArity.OneOrMore };
        argument.Validators.Add(RejectFlags);
        return argument;
    }

    private static void RejectFlags(System.CommandLine.Parsing.ArgumentResult result)
    {
        foreach (var token in result.Tokens.Where(t => t.Value.Length > 1 && t.Value.StartsWith('-')))
            result.AddError($"Unrecognized option '{token.Value}'.");
    }

    /// <summary>An -o/--output option accepting <paramref name="formats"/> (table is the default).</summary>
    public static Option<string> OutputOption(params string[] formats)
    {
        var option = new Option<string>("--output", "-o")
        {
            Description = $"output format: {string.Join(", ", formats)} (default: a table)",
            HelpName = "format",
        };
        option.AcceptOnlyFromAmong(formats);
        return option;
    }

    /// <summary>The chosen output format.</summary>
    public static OutputFormat Format(this ParseResult parse, Option<string> output) => parse.GetValue(output) switch
    {
        "json" => OutputFormat.Json,
        "yaml" => OutputFormat.Yaml,
        "wide" => OutputFormat.Wide,
        _ => OutputFormat.Table,
    };

    /// <summary>A client of the server named by --server / CRANE_SERVER (a bad URL is a usage error).</summary>
    public static ApiClient Client(this ParseResult parse) =>
        new(ApiClient.ParseServer(parse.GetValue(Server)!), TimeSpan.FromSeconds(parse.GetValue(Timeout)), parse.GetValue(Token));

    /// <summary>Sets an async action whose failures become the exit-code contract (see <see cref="ExitCodes"/>).</summary>
    public static Command Does(this Command command, Func<ParseResult, ApiClient, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, cancel) =>
        {
            try
            {
                using var api = parse.Client();
                return await action(parse, api, cancel);
            }
            catch (ApiException ex)
            {
                Output.ApiError(ex);
                if (ex.Status == System.Net.HttpStatusCode.Unauthorized)
                    Console.Error.WriteLine("hint: export CRANE_TOKEN=$(cat .crane-data/admin.token), pass --token, or put 'token: ...' in ~/.crane/config");
                return ExitCodes.Refused;
            }
            catch (ServerUnreachableException ex)
            {
                Output.Error(ex.Message);
                return ExitCodes.Unreachable;
            }
            catch (UsageException ex)
            {
                Output.Error(ex.Message);
                return ExitCodes.Usage;
            }
            catch (JsonException ex)
            {
                Output.Error($"unexpected answer from the server: {ex.Message}");
                return ExitCodes.Refused;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return 130;
            }
        });
        return command;
    }

    /// <summary>Reads -f FILE (or stdin for "-"); a missing file is a usage error. Returns the text and a name for messages.</summary>
    public static async Task<(string Text, string Name)> ReadInputAsync(string path, CancellationToken cancel)
    {
        if (path == "-")
            return (await Console.In.ReadToEndAsync(cancel), "<stdin>");
        if (Directory.Exists(path))
            throw new UsageException($"{path} is a directory; give a file");
        if (!File.Exists(path))
            throw new UsageException($"{path} does not exist");
        try
        {
            return (await File.ReadAllTextAsync(path, cancel), path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {ex.Message}");
        }
    }

    /// <summary>The -f/--filename option (a file, or - for stdin).</summary>
    public static Option<string> FileOption(string what) => new("--filename", "-f")
    {
        Description = $"{what} (- reads stdin)",
        Required = true,
        HelpName = "file",
    };
}
