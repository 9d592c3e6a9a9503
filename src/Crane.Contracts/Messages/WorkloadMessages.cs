using Crane.Contracts.Specs;

namespace Crane.Contracts.Messages;

/// <summary>Every message routed to a WorkloadActor through the shard region carries the workload name.</summary>
public interface IWorkloadMessage : IWireMessage
{
    string Workload { get; }
}

public sealed record ApplyWorkload(WorkloadSpec Spec) : IWorkloadMessage
{
    public string Workload => Spec.Name;
}

public sealed record ApplyAccepted(string Workload, long Generation, bool Created, bool Changed) : IWireMessage;

public sealed record ScaleWorkload(string Workload, int Replicas) : IWorkloadMessage;

public sealed record RestartWorkload(string Workload) : IWorkloadMessage;

public sealed record DeleteWorkload(string Workload) : IWorkloadMessage;

public sealed record GetWorkload(string Workload) : IWorkloadMessage;

/// <summary>Answer for a workload that does not exist (never created, or deleted).</summary>
public sealed record WorkloadNotFound(string Workload) : IWireMessage;

public sealed record WorkloadAck(string Workload, long Generation) : IWireMessage;

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

/// <summary>A ready replica the load balancer may route to.</summary>
public sealed record ReplicaEndpoint(string ReplicaId, string Host, int Port);

/// <summary>Sent by a WorkloadActor whenever its set of routable replicas changes, and periodically. Routed is false when the workload has no port or is gone.</summary>
public sealed record WorkloadEndpoints(string Workload, bool Routed, IReadOnlyList<ReplicaEndpoint> Endpoints) : IWireMessage;

/// <summary>From the scheduler: the node was removed from the cluster; its replicas are gone and must be replaced.</summary>
public sealed record NodeLost(string Workload, string Node) : IWorkloadMessage;

/// <summary>Move every replica off the node, one at a time, each replacement ready before its original stops.</summary>
public sealed record EvacuateNode(string Workload, string Node) : IWorkloadMessage;

/// <summary>Re-place every replica, one at a time (only when asked: Crane never rebalances on its own).</summary>
public sealed record RebalanceWorkload(string Workload) : IWorkloadMessage;
