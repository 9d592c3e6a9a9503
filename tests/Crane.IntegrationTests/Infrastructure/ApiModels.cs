using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Crane.IntegrationTests;

/// <summary>The API's JSON as a user sees it (deliberately not the product's own types: these tests pin the wire format).</summary>
public sealed record WorkloadDto(string Name, long Generation, JsonElement Spec, int DesiredReplicas, int ReadyReplicas, IReadOnlyList<ReplicaDto> Replicas)
{
    /// <summary>Where NGINX serves the workload; absent for workloads without a port.</summary>
    public LoadBalancerDto? LoadBalancer { get; init; }

    /// <summary>The autoscaler's status; absent until an autoscaled workload's first sync.</summary>
    public AutoscalerDto? Autoscaler { get; init; }

    public string Describe() =>
        $"{Name} gen {Generation} desired {DesiredReplicas} ready {ReadyReplicas} replicas [{string.Join("; ", Replicas.Select(r => r.Describe()))}]";
}

public sealed record ReplicaDto(
    string Id,
    long Generation,
    string? Node,
    string? ContainerId,
    string State,
    bool Ready,
    int? HostPort,
    int Restarts,
    string? PendingReason,
    string? Message)
{
    public string Describe() =>
        $"{Id} g{Generation} {State}{(Ready ? " ready" : "")} node={Node ?? "-"} container={Short(ContainerId)} port={HostPort?.ToString(CultureInfo.InvariantCulture) ?? "-"} " +
        $"restarts={Restarts}{(PendingReason is null ? "" : $" pending=\"{PendingReason}\"")}{(Message is null ? "" : $" msg=\"{Message}\"")}";

    private static string Short(string? id) => id is null ? "-" : id.Length > 12 ? id[..12] : id;
}

public sealed record LoadBalancerDto(string Url, string Host, string PathPrefix, int Endpoints);

public sealed record ResourcesDto(double Cpu, long Memory);

public sealed record NodeDto(
    string Name,
    string Status,
    string Address,
    ResourcesDto Capacity,
    ResourcesDto Allocated,
    IReadOnlyDictionary<string, string>? Labels,
    IReadOnlyList<string> Runtimes,
    int Replicas)
{
    public string Describe() =>
        $"{Name} {Status} capacity cpu {Capacity.Cpu} mem {Capacity.Memory} allocated cpu {Allocated.Cpu} mem {Allocated.Memory} replicas {Replicas}";
}

public sealed record ObjectRefDto(string Kind, string Name);

public sealed record AutoscalerDto(
    string Metric,
    double? CurrentValue,
    double Target,
    int CurrentReplicas,
    int DesiredReplicas,
    DateTimeOffset? LastScaleTime,
    DateTimeOffset LastSyncTime,
    string Message,
    IReadOnlyList<ConditionDto> Conditions)
{
    public ConditionDto? Condition(string type) => Conditions.FirstOrDefault(c => c.Type == type);

    public string Describe() =>
        $"{Metric} {CurrentValue?.ToString("0.##", CultureInfo.InvariantCulture) ?? "-"} of {Target.ToString(CultureInfo.InvariantCulture)}, " +
        $"{CurrentReplicas} → {DesiredReplicas}: {Message} [{string.Join("; ", Conditions.Select(c => $"{c.Type}={c.Status} {c.Reason}"))}]";
}

public sealed record ConditionDto(string Type, bool Status, string Reason, string Message, DateTimeOffset LastTransitionTime);

public sealed record EventDto(
    long Id,
    DateTimeOffset Time,
    string Type,
    string Reason,
    ObjectRefDto Object,
    string? Node,
    string Message,
    IReadOnlyDictionary<string, string>? Details)
{
    public string Describe() => $"#{Id} {Type} {Reason} {Object.Kind}/{Object.Name}: {Message}";
}

/// <summary>Status and body of one API call.</summary>
public sealed record ApiResponse(HttpStatusCode Status, string Body)
{
    public JsonElement Json
    {
        get
        {
            using var doc = JsonDocument.Parse(Body);
            return doc.RootElement.Clone();
        }
    }

    public override string ToString() => $"{(int)Status} {Status}: {Body}";
}
