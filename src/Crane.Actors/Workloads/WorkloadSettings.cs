using Akka.Actor;

namespace Crane.Actors.Workloads;

/// <summary>Cluster-wide settings every WorkloadActor shares.</summary>
public sealed record WorkloadSettings(TimeSpan Drain)
{
    public static readonly WorkloadSettings Default = new(TimeSpan.FromSeconds(2));
}

/// <summary>Who a WorkloadActor talks to: the scheduler, and where it reports endpoints, autoscaling inputs and metrics targets.</summary>
public sealed record WorkloadPeers(IActorRef Scheduler, IActorRef LoadBalancer, IActorRef Autoscaler, IActorRef Metrics);
