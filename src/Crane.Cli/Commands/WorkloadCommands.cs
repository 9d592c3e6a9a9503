using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static Crane.Cli.Output;

namespace Crane.Cli.Commands;

/// <summary>apply, scale, restart, rebalance and delete: the commands that change workloads.</summary>
public static partial class WorkloadCommands
{
    /// <summary>Adds the workload commands to <paramref name="root"/>.</summary>
    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(Apply());
        root.Subcommands.Add(Scale());
        root.Subcommands.Add(Restart());
        root.Subcommands.Add(Rebalance());
        root.Subcommands.Add(Delete());
    }

    private static Command Apply()
    {
        var file = Common.FileOption("workload spec, YAML or JSON; YAML may hold several documents separated by ---");
        var dryRun = new Option<bool>("--dry-run") { Description = "validate and run admission policies, change nothing" };
        var output = Common.OutputOption("json", "yaml");
        var command = new Command("apply", "create or update workloads from a spec file") { file, dryRun, output };
        return command.Does(async (parse, api, cancel) =>
        {
            var (text, source) = await Common.ReadInputAsync(parse.GetValue(file)!, cancel);
            var documents = Documents(text).ToList();
            if (documents.Count == 0)
                throw new UsageException($"{source} holds no spec");
            var format = parse.Format(output);
            var query = parse.GetValue(dryRun) ? "?dryRun=true" : "";
            var failed = false;
            var first = true;
            var results = new JsonArray();
            foreach (var (body, lineOffset, json) in documents)
            {
                var path = "api/v1/workloads" + query;
                var response = await api.SendAsync(HttpMethod.Post, path,
                    ApiClient.Text(body, json ? "application/json" : "application/yaml"), cancel);
                if (!response.IsSuccess)
                {
                    ApiError(api.Error(HttpMethod.Post, path, response), source, lineOffset);
                    failed = true;
                    continue;
                }

                var result = response.Json();
                foreach (var warning in Array(result, "warnings"))
                    Warning(ScalarText(warning));
                if (format == OutputFormat.Json && documents.Count > 1)
                {
                    results.Add(result);
                    continue;
                }

                if (format == OutputFormat.Yaml && !first)
                    Console.Out.WriteLine("---");
                first = false;
                if (!TryWriteStructured(result, format))
                    Console.Out.WriteLine(Describe(result, (int)response.Status));
            }

            // Several documents with -o json: one JSON array of the answers, so the output stays one JSON document.
            if (results.Count > 0)
                WriteJson(results);
            return failed ? ExitCodes.Refused : ExitCodes.Ok;
        });
    }

    private static string Describe(JsonNode result, int status)
    {
        var name = $"workload/{Str(result, "name")}";
        if (Bool(result, "dryRun") == true)
            return $"{name} would be {(Str(result, "operation") == "create" ? "created" : "updated")} (dry run)";
        if (status == 201 || Bool(result, "created") == true)
            return $"{name} created (generation {Int(result, "generation")})";
        return Bool(result, "changed") == true
            ? $"{name} updated (generation {Int(result, "generation")})"
            : $"{name} unchanged";
    }

    /// <summary>
    /// The documents of a spec file with the line each starts after: JSON is one document; YAML is split at "---" lines
    /// (the server takes one document per request), keeping the marker so line numbers in errors still point into the file.
    /// </summary>
    internal static IEnumerable<(string Body, int LineOffset, bool Json)> Documents(string text)
    {
        if (text.TrimStart().StartsWith('{'))
        {
            yield return (text, 0, true);
            yield break;
        }

        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var starts = Enumerable.Range(0, lines.Length).Where(i => i == 0 || DocumentStart().IsMatch(lines[i])).ToList();
        for (var k = 0; k < starts.Count; k++)
        {
            var doc = lines[starts[k]..(k + 1 < starts.Count ? starts[k + 1] : lines.Length)];
            if (doc.Any(l => l.Trim() is { Length: > 0 } t && !t.StartsWith('#') && t is not ("---" or "...")))
                yield return (string.Join('\n', doc).TrimEnd('\n') + "\n", starts[k], false);
        }
    }

    [GeneratedRegex(@"^---(\s|$)")]
    private static partial Regex DocumentStart();

    private static Argument<string> WorkloadName() => Common.Name("name", "workload name");

    private static Command Scale()
    {
        var name = WorkloadName();
        var replicas = new Option<int>("--replicas") { Description = "desired replica count", Required = true, HelpName = "n" };
        var command = new Command("scale", "set the desired replica count of a workload") { name, replicas };
        return command.Does(async (parse, api, cancel) =>
        {
            var workload = parse.GetValue(name)!;
            var body = new JsonObject { ["replicas"] = parse.GetValue(replicas) };
            var result = (await api.SendOkAsync(HttpMethod.Post, $"api/v1/workloads/{ApiClient.Segment(workload)}/scale", ApiClient.Json(body), cancel)).Json();
            var allowed = Int(result, "replicas");
            var requested = Int(result, "requested");
            var line = new StringBuilder($"workload/{workload} scaled to {allowed}");
            if (requested is not null && requested != allowed)
                line.Append($" (requested {requested}; limited by {string.Join("; ", Array(result, "limitedBy").Select(ScalarText))})");
            Console.Out.WriteLine(line.ToString());
            return ExitCodes.Ok;
        });
    }

    private static Command Restart()
    {
        var name = WorkloadName();
        var command = new Command("restart", "rolling restart: replace the replicas of a workload one at a time") { name };
        return command.Does(async (parse, api, cancel) =>
        {
            var workload = parse.GetValue(name)!;
            var result = (await api.SendOkAsync(HttpMethod.Post, $"api/v1/workloads/{ApiClient.Segment(workload)}/restart", null, cancel)).Json();
            Console.Out.WriteLine($"workload/{workload} restarting (generation {Int(result, "generation")})");
            return ExitCodes.Ok;
        });
    }

    private static Command Rebalance()
    {
        var name = WorkloadName();
        var command = new Command("rebalance", "re-place the replicas of a workload where the scheduler would put them now") { name };
        return command.Does(async (parse, api, cancel) =>
        {
            var workload = parse.GetValue(name)!;
            var result = (await api.SendOkAsync(HttpMethod.Post, $"api/v1/workloads/{ApiClient.Segment(workload)}/rebalance", null, cancel)).Json();
            Console.Out.WriteLine($"workload/{workload} rebalancing (generation {Int(result, "generation")})");
            return ExitCodes.Ok;
        });
    }

    private static Command Delete()
    {
        var names = Common.Names("name", "workload name(s)");
        var command = new Command("delete", "stop and remove workloads and all their replicas") { names };
        return command.Does(async (parse, api, cancel) =>
        {
            var failed = false;
            foreach (var workload in parse.GetValue(names)!)
            {
                var path = $"api/v1/workloads/{ApiClient.Segment(workload)}";
                var response = await api.SendAsync(HttpMethod.Delete, path, null, cancel);
                if (response.IsSuccess)
                {
                    Console.Out.WriteLine($"workload/{workload} deleted");
                    continue;
                }

                ApiError(api.Error(HttpMethod.Delete, path, response));
                failed = true;
            }

            return failed ? ExitCodes.Refused : ExitCodes.Ok;
        });
    }
}
