using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crane.Rego;

// `crane` — the command-line client. So far: `crane policy eval`, which evaluates Rego locally like `opa eval`.
var root = new RootCommand("crane: command-line client of a Crane cluster");
var policy = new Command("policy", "Rego policies");
root.Subcommands.Add(policy);

var dataFiles = new Option<FileInfo[]>("--data", "-d") { Description = "Rego module(s) to load", Required = true };
var inputFile = new Option<FileInfo?>("--input", "-i") { Description = "input document (JSON)" };
var query = new Argument<string>("query") { Description = "a query, e.g. data.crane.admission.deny" };
var eval = new Command("eval", "evaluate a query against local Rego files, like `opa eval`") { dataFiles, inputFile, query };
policy.Subcommands.Add(eval);
eval.SetAction(parse =>
{
    var files = parse.GetValue(dataFiles)!;
    var missing = files.FirstOrDefault(f => !f.Exists);
    if (missing is not null)
    {
        Console.Error.WriteLine($"crane: {missing.FullName} does not exist");
        return 2;
    }

    var compiled = RegoCompiler.Compile(files.Select(f => (f.Name, File.ReadAllText(f.FullName))));
    if (!compiled.IsOk)
    {
        Console.Error.WriteLine($"crane: {compiled.Error}");
        return 1;
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
            return 2;
        }
    }

    var result = compiled.Value!.Evaluate(parse.GetValue(query)!, input, null, new EvalOptions { Timeout = TimeSpan.FromSeconds(10) });
    if (!result.IsOk)
    {
        Console.Error.WriteLine($"crane: {result.Error}");
        return 1;
    }

    var rows = new JsonArray(result.Value!.Rows.Select(r => (JsonNode)r.ToJson()).ToArray());
    Console.WriteLine(new JsonObject { ["result"] = rows }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    return 0;
});

return root.Parse(args).Invoke();
