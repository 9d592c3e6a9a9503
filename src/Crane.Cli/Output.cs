using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;
using YamlDotNet.Serialization;

namespace Crane.Cli;

/// <summary>How a command prints what it got: a table (default), a wider table, the API's JSON or that JSON as YAML.</summary>
public enum OutputFormat
{
    /// <summary>A kubectl-style table.</summary>
    Table,

    /// <summary>The table with more columns.</summary>
    Wide,

    /// <summary>The API's JSON, indented.</summary>
    Json,

    /// <summary>The API's JSON converted to YAML.</summary>
    Yaml,
}

/// <summary>Printing helpers: tables through Spectre.Console, JSON, YAML, quantities and times; errors go to stderr.</summary>
public static class Output
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly ISerializer Yaml = new SerializerBuilder()
        .WithQuotingNecessaryStrings(quoteYaml1_1Strings: true)
        .WithEventEmitter(next => new QuoteTimestamps(next))
        .DisableAliases()
        .Build();

    private static readonly bool Redirected = System.Console.IsOutputRedirected;

    /// <summary>Renders tables (and other Spectre.Console renderables) to stdout, each line without trailing blanks.</summary>
    public static void Write(IRenderable renderable)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text),
            Ansi = Redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = Redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = InteractionSupport.No,
        });
        // A pipe has no width: never wrap a cell there, so grep and awk see one row per line.
        console.Profile.Width = Redirected ? 4096 : Math.Max(40, TerminalWidth());
        console.Write(renderable);
        foreach (var line in text.ToString().TrimEnd().Split('\n'))
            System.Console.Out.WriteLine(line.TrimEnd());
    }

    /// <summary>Writes <paramref name="renderable"/> indented by <paramref name="by"/> columns.</summary>
    public static void Write(IRenderable renderable, int by) => Write(new Padder(renderable, new Padding(by, 0, 0, 0)));

    private static int TerminalWidth()
    {
        try
        {
            return System.Console.WindowWidth > 0 ? System.Console.WindowWidth : 120;
        }
        catch (IOException)
        {
            return 120;
        }
    }

    /// <summary>Prints JSON indented, as the API sent it (non-ASCII characters unescaped).</summary>
    public static void WriteJson(JsonNode? node) => System.Console.Out.WriteLine(node?.ToJsonString(Indented) ?? "null");

    /// <summary>JSON on one line, for one event per line in a watch.</summary>
    public static string CompactJson(JsonNode? node) => node?.ToJsonString(Compact) ?? "null";

    /// <summary>Prints JSON converted to YAML (strings quoted only where YAML would read them as something else).</summary>
    public static void WriteYaml(JsonNode? node) => System.Console.Out.Write(ToYaml(node));

    /// <summary>The YAML text of a JSON document.</summary>
    public static string ToYaml(JsonNode? node) => Yaml.Serialize(ToPlain(node));

    /// <summary>Prints <paramref name="node"/> as JSON or YAML; false for the table formats (the caller prints a table).</summary>
    public static bool TryWriteStructured(JsonNode? node, OutputFormat format)
    {
        switch (format)
        {
            case OutputFormat.Json:
                WriteJson(node);
                return true;
            case OutputFormat.Yaml:
                WriteYaml(node);
                return true;
            default:
                return false;
        }
    }

    private static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => ToPlain(p.Value)),
        JsonArray a => a.Select(ToPlain).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => v.TryGetValue<long>(out var l) ? l : v.GetValue<double>(),
            _ => null,
        },
        _ => null,
    };

    /// <summary>A borderless kubectl-style table with upper-case headers.</summary>
    public static Table Table(params string[] headers)
    {
        var table = new Table().Border(TableBorder.None).HideRowSeparators();
        table.ShowHeaders = true;
        for (var i = 0; i < headers.Length; i++)
        {
            table.AddColumn(new TableColumn(new Text(headers[i]))
            {
                Padding = new Padding(0, 0, i == headers.Length - 1 ? 0 : 3, 0),
                NoWrap = i < headers.Length - 1,
            });
        }

        return table;
    }

    /// <summary>Adds a row of plain text cells (never parsed as markup, line breaks flattened); null becomes "-".</summary>
    public static Table Row(this Table table, params string?[] cells)
    {
        table.AddRow(cells.Select(c => (IRenderable)new Text(string.IsNullOrEmpty(c) ? "-" : c.ReplaceLineEndings(" "))).ToArray());
        return table;
    }

    /// <summary>Prints aligned "Key:  value" lines; values on several lines are indented under the first.</summary>
    public static void KeyValues(IEnumerable<(string Key, string? Value)> pairs, int indent = 0)
    {
        var list = pairs.Where(p => p.Value is not null).ToList();
        if (list.Count == 0)
            return;
        var width = list.Max(p => p.Key.Length) + 2;
        var pad = new string(' ', indent);
        foreach (var (key, value) in list)
        {
            var lines = value!.Split('\n');
            System.Console.Out.WriteLine($"{pad}{(key + ":").PadRight(width)}{lines[0]}");
            foreach (var line in lines.Skip(1))
                System.Console.Out.WriteLine($"{pad}{new string(' ', width)}{line}");
        }
    }

    /// <summary>"warning: ..." on stderr.</summary>
    public static void Warning(string message) => System.Console.Error.WriteLine($"warning: {message}");

    /// <summary>"error: ..." on stderr.</summary>
    public static void Error(string message) => System.Console.Error.WriteLine($"error: {message}");

    /// <summary>
    /// An API error on stderr: <c>error: message</c>, then what the error document adds: the field and the position in
    /// <paramref name="source"/> (a spec or a Rego file, lines shifted by <paramref name="lineOffset"/>), policy violations and warnings.
    /// </summary>
    public static void ApiError(ApiException error, string? source = null, int lineOffset = 0)
    {
        Error(error.Message);
        var body = error.Body;
        if (body is null)
            return;
        if (Str(body, "field") is { } field)
            System.Console.Error.WriteLine($"  field: {field}");
        if (Int(body, "line") is { } line)
        {
            var column = Int(body, "column") is { } c ? $", column {c}" : "";
            var where = source ?? Str(body, "file");
            System.Console.Error.WriteLine($"  line {line + lineOffset}{column}{(where is null ? "" : $" of {where}")}");
        }

        foreach (var violation in Items(body, "violations"))
            System.Console.Error.WriteLine($"  violation: {Describe(violation)}");
        foreach (var warning in Items(body, "warnings"))
            Warning(Describe(warning));
    }

    private static IEnumerable<JsonNode> Items(JsonObject body, string key) =>
        body[key] is JsonArray array ? array.OfType<JsonNode>() : [];

    private static string Describe(JsonNode node) => node switch
    {
        JsonObject o when Str(o, "message") is { } message => Str(o, "policy") is { } policy ? $"{policy}: {message}" : message,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    /// <summary>A string property, or null.</summary>
    public static string? Str(JsonNode? node, string key) =>
        node is JsonObject o && o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>An integer property, or null.</summary>
    public static long? Int(JsonNode? node, string key) =>
        node is JsonObject o && o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l) ? l : null;

    /// <summary>A number property, or null.</summary>
    public static double? Num(JsonNode? node, string key) =>
        node is JsonObject o && o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;

    /// <summary>A boolean property, or null.</summary>
    public static bool? Bool(JsonNode? node, string key) =>
        node is JsonObject o && o[key] is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : null;

    /// <summary>The elements of an array property (none when missing).</summary>
    public static IEnumerable<JsonNode> Array(JsonNode? node, string? key = null) =>
        (key is null ? node : node?[key]) is JsonArray a ? a.OfType<JsonNode>() : [];

    /// <summary>The string values of an object property, as "k=v,k2=v2".</summary>
    public static string? Pairs(JsonNode? node, string key) =>
        node?[key] is JsonObject o && o.Count > 0 ? string.Join(',', o.Select(p => $"{p.Key}={ScalarText(p.Value)}")) : null;

    /// <summary>A scalar as text (invariant culture).</summary>
    public static string ScalarText(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => Number(v.GetValue<double>()),
        _ => node.ToJsonString(),
    };

    /// <summary>A number without trailing zeros: 2, 0.3, 12.5.</summary>
    public static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>CPU cores as the spec writes them: 2, 0.5, 300m.</summary>
    public static string Cpu(double cores) =>
        cores != 0 && cores < 1 && Math.Abs(cores * 1000 - Math.Round(cores * 1000)) < 1e-6
            ? $"{Math.Round(cores * 1000).ToString(CultureInfo.InvariantCulture)}m"
            : Number(cores);

    /// <summary>Bytes in the largest binary unit that divides them evenly (else one decimal): 256Mi, 4Gi, 1.5Gi.</summary>
    public static string Memory(long bytes)
    {
        string[] units = ["Ki", "Mi", "Gi", "Ti"];
        if (bytes < 1024)
            return bytes.ToString(CultureInfo.InvariantCulture);
        var unit = -1;
        double value = bytes;
        while (unit < units.Length - 1 && value >= 1024)
        {
            value /= 1024;
            unit++;
        }

        return value.ToString(Math.Abs(value - Math.Round(value)) < 1e-9 ? "0" : "0.#", CultureInfo.InvariantCulture) + units[unit];
    }

    /// <summary>A timestamp in UTC to the second: 2026-01-31 14:05:09.</summary>
    public static string Time(string? iso) =>
        iso is not null && DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : iso ?? "-";

    /// <summary>How long ago, kubectl style: 5s, 3m, 2h, 4d.</summary>
    public static string Age(string? iso)
    {
        if (iso is null || !DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            return "-";
        var ago = DateTimeOffset.UtcNow - t;
        if (ago < TimeSpan.Zero)
            ago = TimeSpan.Zero;
        return ago.TotalSeconds < 120 ? $"{(int)ago.TotalSeconds}s"
            : ago.TotalMinutes < 120 ? $"{(int)ago.TotalMinutes}m"
            : ago.TotalHours < 48 ? $"{(int)ago.TotalHours}h"
            : $"{(int)ago.TotalDays}d";
    }
}

/// <summary>Quotes strings that look like timestamps, which YAML 1.1 readers would otherwise turn into dates.</summary>
internal sealed partial class QuoteTimestamps(IEventEmitter next) : YamlDotNet.Serialization.EventEmitters.ChainedEventEmitter(next)
{
    public override void Emit(ScalarEventInfo eventInfo, YamlDotNet.Core.IEmitter emitter)
    {
        if (eventInfo.Source.Value is string text && Timestamp().IsMatch(text))
            eventInfo.Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted;
        base.Emit(eventInfo, emitter);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d\d?-\d\d?([Tt ]|$)")]
    private static partial System.Text.RegularExpressions.Regex Timestamp();
}
