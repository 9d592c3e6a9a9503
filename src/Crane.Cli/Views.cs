using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using static Crane.Cli.Output;

namespace Crane.Cli;

/// <summary>The tables and one-line summaries of workloads, nodes and events, shared by get, describe and events.</summary>
public static class Views
{
    /// <summary>NAME READY DESIRED IMAGE AUTOSCALER (wide: + GEN PORT NODES LOAD BALANCER).</summary>
    public static Table Workloads(IEnumerable<JsonNode> workloads, bool wide)
    {
        var table = wide
            ? Table("NAME", "READY", "DESIRED", "IMAGE", "AUTOSCALER", "GEN", "PORT", "NODES", "LOAD BALANCER")
            : Table("NAME", "READY", "DESIRED", "IMAGE", "AUTOSCALER");
        foreach (var w in workloads)
        {
            var spec = w["spec"];
            string?[] cells = [Str(w, "name"), Ready(w), Int(w, "desiredReplicas")?.ToString(CultureInfo.InvariantCulture), Str(spec, "image"), Autoscaler(w)];
            if (wide)
            {
                var nodes = Array(w, "replicas").Select(r => Str(r, "node")).Where(n => n is not null).Distinct().Order(StringComparer.Ordinal);
                cells = [.. cells, Int(w, "generation")?.ToString(CultureInfo.InvariantCulture), Int(spec, "port")?.ToString(CultureInfo.InvariantCulture),
                    string.Join(',', nodes), LoadBalancerUrl(w)];
            }

            table.Row(cells);
        }

        return table;
    }

    /// <summary>"ready/current": ready replicas out of the replicas that exist.</summary>
    public static string Ready(JsonNode w) =>
        $"{Int(w, "readyReplicas") ?? 0}/{Array(w, "replicas").Count()}";

    /// <summary>"cpu 45%/70% (2-10)", with &lt;unknown&gt; until the autoscaler has a value; null when not autoscaled.</summary>
    public static string? Autoscaler(JsonNode w)
    {
        if (w["spec"]?["autoscaling"] is not JsonObject a)
            return null;
        var metric = Str(a, "metric") ?? "cpu";
        var unit = metric is "cpu" or "memory" ? "%" : "";
        var current = Num(w["autoscaler"], "currentValue") is { } value ? Number(value) + unit : "<unknown>";
        return $"{metric} {current}/{Number(Num(a, "target") ?? 0)}{unit} ({Int(a, "min") ?? 1}-{Int(a, "max") ?? 0})";
    }

    /// <summary>The NGINX URL of a workload with a port (by path prefix), else null.</summary>
    public static string? LoadBalancerUrl(JsonNode w)
    {
        var lb = w["loadBalancer"];
        return Str(lb, "url") is { } url ? url.TrimEnd('/') + (Str(lb, "pathPrefix") ?? "/") : null;
    }

    /// <summary>NAME STATUS CPU MEM REPLICAS LABELS (wide: + ADDRESS RUNTIMES); CPU and MEM are allocated/capacity.</summary>
    public static Table Nodes(IEnumerable<JsonNode> nodes, bool wide)
    {
        var table = wide
            ? Table("NAME", "STATUS", "CPU", "MEM", "REPLICAS", "LABELS", "ADDRESS", "RUNTIMES")
            : Table("NAME", "STATUS", "CPU", "MEM", "REPLICAS", "LABELS");
        foreach (var n in nodes)
        {
            string?[] cells = [Str(n, "name"), Str(n, "status"), Cpu(n), Mem(n), Int(n, "replicas")?.ToString(CultureInfo.InvariantCulture), Pairs(n, "labels")];
            if (wide)
                cells = [.. cells, Str(n, "address"), string.Join(',', Array(n, "runtimes").Select(ScalarText))];
            table.Row(cells);
        }

        return table;
    }

    /// <summary>"allocated/capacity" cores.</summary>
    public static string Cpu(JsonNode node) =>
        $"{Output.Cpu(Num(node["allocated"], "cpu") ?? 0)}/{Output.Cpu(Num(node["capacity"], "cpu") ?? 0)}";

    /// <summary>"allocated/capacity" memory.</summary>
    public static string Mem(JsonNode node) =>
        $"{Memory(Int(node["allocated"], "memory") ?? 0)}/{Memory(Int(node["capacity"], "memory") ?? 0)}";

    /// <summary>TIME TYPE REASON OBJECT MESSAGE (wide: + NODE ID).</summary>
    public static Table Events(IEnumerable<JsonNode> events, bool wide)
    {
        var table = wide
            ? Table("TIME", "TYPE", "REASON", "OBJECT", "NODE", "ID", "MESSAGE")
            : Table("TIME", "TYPE", "REASON", "OBJECT", "MESSAGE");
        foreach (var e in events)
        {
            table.Row(wide
                ? [Time(Str(e, "time")), Str(e, "type"), Str(e, "reason"), ObjectRef(e), Str(e, "node"), Int(e, "id")?.ToString(CultureInfo.InvariantCulture), Str(e, "message")]
                : [Time(Str(e, "time")), Str(e, "type"), Str(e, "reason"), ObjectRef(e), Str(e, "message")]);
        }

        return table;
    }

    /// <summary>The header of a followed event stream, aligned with <see cref="EventLine"/>.</summary>
    public static string EventHeader(bool wide) => wide
        ? $"{"TIME",-19}   {"TYPE",-7}   {"REASON",-20}   {"OBJECT",-36}   {"NODE",-16}   {"ID",-6}   MESSAGE"
        : $"{"TIME",-19}   {"TYPE",-7}   {"REASON",-20}   {"OBJECT",-36}   MESSAGE";

    /// <summary>One event on one line, for a watch (columns padded, since later rows are not known yet).</summary>
    public static string EventLine(JsonNode e, bool wide)
    {
        var head = $"{Time(Str(e, "time")),-19}   {Str(e, "type"),-7}   {Str(e, "reason"),-20}   {ObjectRef(e),-36}   ";
        var message = (Str(e, "message") ?? "").ReplaceLineEndings(" ");
        return wide ? $"{head}{Str(e, "node") ?? "-",-16}   {Int(e, "id"),-6}   {message}" : head + message;
    }

    /// <summary>"workload/web", "replica/web-1a2b": the kind in lower case, as kubectl names objects.</summary>
    public static string ObjectRef(JsonNode e) =>
        $"{Str(e["object"], "kind")?.ToLowerInvariant() ?? "?"}/{Str(e["object"], "name") ?? "?"}";
}
