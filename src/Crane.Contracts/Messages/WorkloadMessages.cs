using Crane.Contracts.Specs;

namespace Crane.Contracts.Messages;

/// <summary>Every message routed to a WorkloadActor through the shard region carries the workload name.</summary>
public interface IWorkloadMessage
{
    string Workload { get; }
}

public sealed record ApplyWorkload(WorkloadSpec Spec) : IWorkloadMessage
{
    public string Workload => Spec.Name;
}

public sealed record ApplyAccepted(string Workload, long Generation, bool Created, bool Changed);

public sealed record ScaleWorkload(string Workload, int Replicas) : IWorkloadMessage;

public sealed record RestartWorkload(string Workload) : IWorkloadMessage;

public sealed record DeleteWorkload(string Workload) : IWorkloadMessage;

public sealed record GetWorkload(string Workload) : IWorkloadMessage;

/// <summary>Answer for a workload that does not exist (never created, or deleted).</summary>
public sealed record WorkloadNotFound(string Workload);

public sealed record WorkloadAck(string Workload, long Generation);

public enum ReplicaState
{
    Pending,
    Starting,
    Running,
    BackOff,
    Stopping,
    Lost,
}

/// <summary>What a node observes about one replica; sent on every change and as a periodic heartbeat.</summary>
public sealed record ReplicaStatusReport(
    string Workload,
    string ReplicaId,
    string Node,
    long Generation,
    ReplicaState State,
    string? ContainerId,
    int? HostPort,
    bool Ready,
    int Restarts,
    string? Message) : IWorkloadMessage;

/// <summary>The node stopped and removed the replica's container.</summary>
public sealed record ReplicaStopped(string Workload, string ReplicaId, string Node) : IWorkloadMessage;
