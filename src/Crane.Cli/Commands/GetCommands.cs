using System.CommandLine;
using System.Text.Json.Nodes;

namespace Crane.Cli.Commands;

/// <summary><c>crane get workloads|nodes|events [NAME]</c>: lists as tables, or the API's JSON/YAML.</summary>
public static class GetCommands
{
    /// <summary>Adds <c>get</c> to <paramref name="root"/>.</summary>
    public static void AddTo(RootCommand root)
    {
        var get = new Command("get", "list workloads, nodes or events");
        get.Subcommands.Add(Workloads());
        get.Subcommands.Add(Nodes());
        get.Subcommands.Add(EventsCommand.Build("events", "list events (like `crane events`)", "event", "ev"));
        root.Subcommands.Add(get);
    }

    private static Command Workloads()
    {
        var name = Common.OptionalName("name", "one workload (default: all)");
        var output = Common.OutputOption("json", "yaml", "wide");
        var command = new Command("workloads", "list workloads: NAME READY DESIRED IMAGE AUTOSCALER") { name, output };
        command.Aliases.Add("workload");
        command.Aliases.Add("wl");
        return command.Does(async (parse, api, cancel) =>
        {
            var format = parse.Format(output);
            var one = parse.GetValue(name);
            var json = await api.GetJsonAsync(one is null ? "api/v1/workloads" : $"api/v1/workloads/{ApiClient.Segment(one)}", cancel);
            if (Output.TryWriteStructured(json, format))
                return ExitCodes.Ok;
            var list = json is JsonArray array ? array.OfType<JsonNode>() : [json];
            if (!list.Any())
            {
                Console.Error.WriteLine("No workloads.");
                return ExitCodes.Ok;
            }

            Output.Write(Views.Workloads(list, format == OutputFormat.Wide));
            return ExitCodes.Ok;
        });
    }

    private static Command Nodes()
    {
        var name = Common.OptionalName("name", "one node (default: all)");
        var output = Common.OutputOption("json", "yaml", "wide");
        var command = new Command("nodes", "list nodes: NAME STATUS CPU MEM REPLICAS LABELS") { name, output };
        command.Aliases.Add("node");
        command.Aliases.Add("no");
        return command.Does(async (parse, api, cancel) =>
        {
            var format = parse.Format(output);
            var one = parse.GetValue(name);
            JsonNode json = await api.GetJsonAsync("api/v1/nodes", cancel);
            if (one is not null)
                json = FindNode(json, one);
            if (Output.TryWriteStructured(json, format))
                return ExitCodes.Ok;
            var list = json is JsonArray array ? array.OfType<JsonNode>() : [json];
            if (!list.Any())
            {
                Console.Error.WriteLine("No nodes.");
                return ExitCodes.Ok;
            }

            Output.Write(Views.Nodes(list, format == OutputFormat.Wide));
            return ExitCodes.Ok;
        });
    }

    /// <summary>The node called <paramref name="name"/> in GET /api/v1/nodes (there is no GET of one node); 404 when absent.</summary>
    internal static JsonNode FindNode(JsonNode nodes, string name) =>
        Output.Array(nodes).FirstOrDefault(n => Output.Str(n, "name") == name)?.DeepClone()
        ?? throw new ApiException(System.Net.HttpStatusCode.NotFound, $"node '{name}' not found", null);
}
