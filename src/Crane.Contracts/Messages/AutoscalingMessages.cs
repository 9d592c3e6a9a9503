using Crane.Contracts.Api;
using Crane.Contracts.Specs;

namespace Crane.Contracts.Messages;

/// <summary>
/// WorkloadActor → autoscaler singleton, when the spec, the desired count or the replicas' readiness change and every
/// few seconds. A null Spec, or one without autoscaling, means the workload is not (or no longer) autoscaled.
/// </summary>
public sealed record AutoscaleTarget(
    string Workload,
    WorkloadSpec? Spec,
    int Desired,
    IReadOnlyList<AutoscaleReplica> Replicas) : IWireMessage
{
    public bool Autoscaled => Spec?.Autoscaling is not null;
}

/// <summary>One replica as the autoscaler counts it: StartedAt is when it was first seen running, ReadySince when it last turned ready.</summary>
public sealed record AutoscaleReplica(string Id, bool Ready, DateTimeOffset? StartedAt, DateTimeOffset? ReadySince);

/// <summary>Autoscaler → WorkloadActor: set the desired count to To if it is still From (a manual scale in between wins).</summary>
public sealed record AutoscaleWorkload(string Workload, int From, int To, string Reason) : IWorkloadMessage;

/// <summary>Autoscaler → WorkloadActor after every sync: the status GET /api/v1/workloads/{name} shows (kept in memory).</summary>
public sealed record AutoscalerStatusReport(string Workload, AutoscalerView Status) : IWorkloadMessage;

/// <summary>WorkloadActor → Prometheus owner: the metrics endpoints of the workload's running replicas (empty when it has none or is gone).</summary>
public sealed record WorkloadMetricsTargets(string Workload, IReadOnlyList<MetricsEndpoint> Endpoints) : IWireMessage;

/// <summary>A replica's metrics endpoint: Prometheus scrapes http://Host:Port/metrics.</summary>
public sealed record MetricsEndpoint(string Replica, string Node, string Host, int Port);

/// <summary>Every Crane process → Prometheus owner, every few seconds: its own /metrics (role control, worker or both).</summary>
public sealed record MemberMetricsEndpoint(string Member, string Role, string Host, int Port) : IWireMessage;

/// <summary>API → Prometheus owner: replace the alerting rules (Prometheus rule file YAML) if promtool accepts them, then reload.</summary>
public sealed record PutRules(string Yaml) : IWireMessage;

public sealed record GetRules : IWireMessage
{
    public static readonly GetRules Instance = new();
}

/// <summary>The rules in force; Reloaded is false when they were written but Prometheus could not be told (not ours, or down).</summary>
public sealed record RulesView(string Yaml, bool Reloaded, string? Note) : IWireMessage;

/// <summary>promtool refused the rules (its own message); the old rules stay.</summary>
public sealed record RulesRejected(string Error) : IWireMessage;
