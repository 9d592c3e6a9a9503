using Akka.Cluster.Sharding;
using Crane.Contracts.Messages;

namespace Crane.Actors.Workloads;

/// <summary>Routes every IWorkloadMessage to the entity named after its workload.</summary>
public sealed class WorkloadMessageExtractor() : HashCodeMessageExtractor(MaxShards)
{
    public const int MaxShards = 30;

    public override string? EntityId(object message) => (message as IWorkloadMessage)?.Workload;
}

/// <summary>Registry key for the workload shard region (or its proxy on worker-only members).</summary>
public sealed class WorkloadRegion;
