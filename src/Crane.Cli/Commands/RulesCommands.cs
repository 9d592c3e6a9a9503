using System.CommandLine;

namespace Crane.Cli.Commands;

/// <summary><c>crane rules get|load</c>: the Prometheus alerting rules Crane manages (checked by promtool, then reloaded).</summary>
public static class RulesCommands
{
    /// <summary>Adds <c>rules</c> to <paramref name="root"/>.</summary>
    public static void AddTo(RootCommand root)
    {
        var rules = new Command("rules", "Prometheus alerting rules");
        rules.Subcommands.Add(Get());
        rules.Subcommands.Add(Load());
        root.Subcommands.Add(rules);
    }

    private static Command Get()
    {
        var command = new Command("get", "print the alerting rules file (YAML)");
        return command.Does(async (parse, api, cancel) =>
        {
            var response = await api.SendOkAsync(HttpMethod.Get, "api/v1/rules", null, cancel);
            Console.Out.Write(response.Body.EndsWith('\n') ? response.Body : response.Body + "\n");
            return ExitCodes.Ok;
        });
    }

    private static Command Load()
    {
        var file = Common.FileOption("Prometheus rule file (groups: [...])");
        var command = new Command("load", "replace the alerting rules; promtool checks them first, and rejected rules leave the old ones") { file };
        return command.Does(async (parse, api, cancel) =>
        {
            var (yaml, name) = await Common.ReadInputAsync(parse.GetValue(file)!, cancel);
            var response = await api.SendAsync(HttpMethod.Put, "api/v1/rules", ApiClient.Text(yaml, "application/yaml"), cancel);
            if (!response.IsSuccess)
            {
                Output.ApiError(api.Error(HttpMethod.Put, "api/v1/rules", response), name);
                return ExitCodes.Refused;
            }

            var result = response.Json();
            Console.Out.WriteLine(Output.Bool(result, "reloaded") == true
                ? $"rules from {name} loaded; Prometheus reloaded"
                : $"rules from {name} loaded; {Output.Str(result, "note") ?? "Prometheus not reloaded"}");
            return ExitCodes.Ok;
        });
    }
}
