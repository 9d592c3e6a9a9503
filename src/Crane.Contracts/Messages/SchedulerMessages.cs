using Akka.Actor;
using Crane.Contracts.Specs;

namespace Crane.Contracts.Messages;

/// <summary>Sent by a NodeActor on start and then as a heartbeat.</summary>
public sealed record RegisterNode(NodeDescriptor Node, IActorRef NodeActor) : IWireMessage;

public sealed record ScheduleReplica(string Workload, string ReplicaId, WorkloadSpec Spec) : IWireMessage;

public sealed record ReplicaPlaced(string Workload, string ReplicaId, string Node) : IWorkloadMessage;

public sealed record ReplicaUnschedulable(string Workload, string ReplicaId, string Reason) : IWorkloadMessage;

/// <summary>The scheduler's ledger entry for one replica bound to a node.</summary>
public sealed record Allocation(string ReplicaId, string Node, double Cpu, long Memory);

/// <summary>
/// Replaces what the scheduler holds for this workload (idempotent, sent periodically). Unbound lists
/// replicas that exist but are not bound yet: a reservation the scheduler made for one of them is kept,
/// because its ReplicaPlaced may still be on the way to the workload.
/// </summary>
public sealed record SyncAllocations(string Workload, IReadOnlyList<Allocation> Allocations, IReadOnlyList<string> Unbound) : IWireMessage;

/// <summary>Forwarded by the scheduler to the named node's actor.</summary>
public sealed record ToNode(string Node, NodeCommand Message) : IWireMessage;

public sealed record GetNodes : IWireMessage
{
    public static readonly GetNodes Instance = new();
}

public sealed record NodeView(
    string Name,
    string Status,
    string Address,
    ResourceView Capacity,
    ResourceView Allocated,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<string> Runtimes,
    int Replicas);

public sealed record ResourceView(double Cpu, long Memory);

public sealed record NodeList(IReadOnlyList<NodeView> Nodes) : IWireMessage;

/// <summary>Cordon (no new placements), uncordon, or drain (cordon, then move every replica off). Answered with NodeView or NodeNotFound.</summary>
public sealed record SetNodeSchedulable(string Node, NodeAction Action) : IWireMessage;

public enum NodeAction
{
    Cordon,
    Uncordon,
    Drain,
}

public sealed record NodeNotFound(string Node) : IWireMessage;
