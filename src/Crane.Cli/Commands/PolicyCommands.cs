using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crane.Rego;

namespace Crane.Cli.Commands;

/// <summary><c>crane policy load|list|get|delete</c> against the server, and <c>crane policy eval</c>, which evaluates Rego locally like <c>opa eval</c>.</summary>
public static class PolicyCommands
{
    /// <summary>Adds <c>policy</c> to <paramref name="root"/>.</summary>
    public static void AddTo(RootCommand root)
    {
        var policy = new Command("policy", "Rego policies: load, list, get, delete on the server; eval locally");
        policy.Subcommands.Add(Load());
        policy.Subcommands.Add(List());
        policy.Subcommands.Add(Get());
        policy.Subcommands.Add(Delete());
        policy.Subcommands.Add(Eval());
        root.Subcommands.Add(policy);
    }

    private static Argument<string> Id() => Common.Name("id", "policy id: letters, digits, '-', '_' and '.'");

    private static Command Load()
    {
        var id = Id();
        var file = Common.FileOption("Rego module");
        var enforcement = new Option<string>("--enforcement")
        {
            Description = "deny (violations refuse the request), warn (they become warnings) or dryrun (only events)",
            DefaultValueFactory = _ => "deny",
            HelpName = "mode",
        };
        enforcement.AcceptOnlyFromAmong("deny", "warn", "dryrun");
        var command = new Command("load", "load (create or replace) a Rego module on the server") { id, file, enforcement };
        return command.Does(async (parse, api, cancel) =>
        {
            var (source, name) = await Common.ReadInputAsync(parse.GetValue(file)!, cancel);
            var policyId = parse.GetValue(id)!;
            var path = $"api/v1/policies/{ApiClient.Segment(policyId)}{EventsCommand.Query(("enforcement", parse.GetValue(enforcement)))}";
            var response = await api.SendAsync(HttpMethod.Put, path, ApiClient.Text(source, "text/plain"), cancel);
            if (!response.IsSuccess)
            {
                Output.ApiError(api.Error(HttpMethod.Put, path, response), name);
                return ExitCodes.Refused;
            }

            var result = response.Json();
            Console.Out.WriteLine($"policy/{Output.Str(result, "id") ?? policyId} loaded (enforcement: {Output.Str(result, "enforcement")?.ToLowerInvariant()})");
            return ExitCodes.Ok;
        });
    }

    private static Command List()
    {
        var output = Common.OutputOption("json", "yaml");
        var command = new Command("list", "list the policies on the server: ID ENFORCEMENT") { output };
        command.Aliases.Add("ls");
        return command.Does(async (parse, api, cancel) =>
        {
            var policies = await api.GetJsonAsync("api/v1/policies", cancel);
            if (Output.TryWriteStructured(policies, parse.Format(output)))
                return ExitCodes.Ok;
            if (!Output.Array(policies).Any())
            {
                Console.Error.WriteLine("No policies.");
                return ExitCodes.Ok;
            }

            var table = Output.Table("ID", "ENFORCEMENT");
            foreach (var p in Output.Array(policies))
                table.Row(Output.Str(p, "id"), Output.Str(p, "enforcement")?.ToLowerInvariant());
            Output.Write(table);
            return ExitCodes.Ok;
        });
    }

    private static Command Get()
    {
        var id = Id();
        var command = new Command("get", "print the Rego source of a policy") { id };
        return command.Does(async (parse, api, cancel) =>
        {
            var response = await api.SendOkAsync(HttpMethod.Get, $"api/v1/policies/{ApiClient.Segment(parse.GetValue(id)!)}", null, cancel);
            Console.Out.Write(response.Body.EndsWith('\n') ? response.Body : response.Body + "\n");
            return ExitCodes.Ok;
        });
    }

    private static Command Delete()
    {
        var id = Id();
        var command = new Command("delete", "remove a policy from the server") { id };
        return command.Does(async (parse, api, cancel) =>
        {
            var policyId = parse.GetValue(id)!;
            await api.SendOkAsync(HttpMethod.Delete, $"api/v1/policies/{ApiClient.Segment(policyId)}", null, cancel);
            Console.Out.WriteLine($"policy/{policyId} deleted");
            return ExitCodes.Ok;
        });
    }

    /// <summary><c>crane policy eval</c>: compiles local Rego files and evaluates a query, printing {"result": [...]} like opa eval.</summary>
    private static Command Eval()
    {
        var dataFiles = new Option<FileInfo[]>("--data", "-d") { Description = "Rego module(s) to load", Required = true };
        var inputFile = new Option<FileInfo?>("--input", "-i") { Description = "input document (JSON)" };
        var query = new Argument<string>("query") { Description = "a query, e.g. data.crane.admission.deny" };
        var eval = new Command("eval", "evaluate a query against local Rego files, like `opa eval` (no server involved)") { dataFiles, inputFile, query };
        eval.SetAction(parse =>
        {
            var files = parse.GetValue(dataFiles)!;
            var missing = files.FirstOrDefault(f => !f.Exists);
            if (missing is not null)
            {
                Console.Error.WriteLine($"crane: {missing.FullName} does not exist");
                return ExitCodes.Usage;
            }

            var compiled = RegoCompiler.Compile(files.Select(f => (f.Name, File.ReadAllText(f.FullName))));
            if (!compiled.IsOk)
            {
                Console.Error.WriteLine($"crane: {compiled.Error}");
                return ExitCodes.Refused;
            }

            JsonNode? input = null;
            if (parse.GetValue(inputFile) is { } inputPath)
            {
                try
                {
                    input = JsonNode.Parse(File.ReadAllText(inputPath.FullName));
                }
                catch (Exception ex) when (ex is JsonException or IOException)
                {
                    Console.Error.WriteLine($"crane: input {inputPath.Name}: {ex.Message}");
                    return ExitCodes.Usage;
                }
            }

            var result = compiled.Value!.Evaluate(parse.GetValue(query)!, input, null, new EvalOptions { Timeout = TimeSpan.FromSeconds(10) });
            if (!result.IsOk)
            {
                Console.Error.WriteLine($"crane: {result.Error}");
                return ExitCodes.Refused;
            }

            var rows = new JsonArray(result.Value!.Rows.Select(r => (JsonNode)r.ToJson()).ToArray());
            Console.WriteLine(new JsonObject { ["result"] = rows }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Ok;
        });
        return eval;
    }
}
