using System.Text.Json.Serialization;
using Crane.Contracts.Specs;

namespace Crane.Contracts.Messages;

/// <summary>What a workload asks of a node; forwarded by the scheduler in <see cref="ToNode"/>.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$command")]
[JsonDerivedType(typeof(EnsureReplica), "ensure")]
[JsonDerivedType(typeof(StopReplica), "stop")]
[JsonDerivedType(typeof(PeerNodeLost), "peer-lost")]
[JsonDerivedType(typeof(RestartContainer), "restart")]
public abstract record NodeCommand : IWireMessage;

/// <summary>Idempotent: the node starts the replica, adopts its running container, or re-reports it.</summary>
public sealed record EnsureReplica(string Workload, string ReplicaId, long Generation, WorkloadSpec Spec) : NodeCommand;

public sealed record StopReplica(string Workload, string ReplicaId, string Reason) : NodeCommand;

/// <summary>Kill the replica's container and start a new one (same replica id), as after a failed liveness probe.</summary>
public sealed record RestartContainer(string Workload, string ReplicaId, string Reason) : NodeCommand;

/// <summary>Another node was removed: containers it left on a shared engine are removed by whoever can see them.</summary>
public sealed record PeerNodeLost(string Node) : NodeCommand;

public sealed record NodeDescriptor(
    string Name,
    string Address,
    double CapacityCpu,
    long CapacityMemory,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<string> Runtimes);
