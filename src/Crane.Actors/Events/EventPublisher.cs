using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Crane.Contracts.Messages;

namespace Crane.Actors.Events;

/// <summary>Publishes events on the cluster-wide topic that every EventLogActor subscribes to.</summary>
public sealed class EventPublisher(ActorSystem system, TimeProvider time)
{
    public const string Topic = "crane-events";

    private readonly IActorRef _mediator = DistributedPubSub.Get(system).Mediator;

    public void Publish(string type, string reason, string kind, string name, string? node, string message,
        IReadOnlyDictionary<string, string>? details = null) =>
        _mediator.Tell(new Publish(Topic, new CraneEvent(0, time.GetUtcNow(), type, reason, new ObjectRef(kind, name), node, message, details)));

    public void Normal(string reason, string kind, string name, string? node, string message) =>
        Publish(CraneEvent.Normal, reason, kind, name, node, message);

    public void Warning(string reason, string kind, string name, string? node, string message) =>
        Publish(CraneEvent.Warning, reason, kind, name, node, message);
}
