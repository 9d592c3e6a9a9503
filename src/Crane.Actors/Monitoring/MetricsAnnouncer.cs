using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Crane.Contracts.Messages;

namespace Crane.Actors.Monitoring;

/// <summary>
/// Every Crane process runs one: it publishes where its /metrics is, at once and every few seconds, on the topic the Prometheus
/// owner subscribes to. A member that stops announcing (it died or left) drops out of the scrape targets after the expiry.
/// </summary>
public sealed class MetricsAnnouncer : ReceiveActor, IWithTimers
{
    public const string Topic = "crane-metrics-endpoints";

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private sealed record Announce
    {
        public static readonly Announce Instance = new();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public MetricsAnnouncer(MemberMetricsEndpoint endpoint)
    {
        var mediator = DistributedPubSub.Get(Context.System).Mediator;
        Receive<Announce>(_ => mediator.Tell(new Publish(Topic, endpoint)));
    }

    public static Props Props(MemberMetricsEndpoint endpoint) => Akka.Actor.Props.Create(() => new MetricsAnnouncer(endpoint));

    protected override void PreStart()
    {
        Self.Tell(Announce.Instance);
        Timers.StartPeriodicTimer("announce", Announce.Instance, Interval);
    }
}
