using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Crane.Actors.Observability;
using Crane.Contracts.Messages;

namespace Crane.Actors.Events;

public sealed record EventFilter(DateTimeOffset? Since, long? AfterId, string? Workload, string? Node, string? Type, string? Reason)
{
    public static readonly EventFilter All = new(null, null, null, null, null, null);

    public bool Matches(CraneEvent e) =>
        (Since is null || e.Time >= Since) &&
        (AfterId is null || e.Id > AfterId) &&
        (Workload is null || (e.Object.Kind == "Workload" && e.Object.Name == Workload) || e.Details?.GetValueOrDefault("workload") == Workload) &&
        (Node is null || e.Node == Node) &&
        (Type is null || string.Equals(e.Type, Type, StringComparison.OrdinalIgnoreCase)) &&
        (Reason is null || string.Equals(e.Reason, Reason, StringComparison.OrdinalIgnoreCase));
}

public sealed record QueryEvents(EventFilter Filter);

/// <summary>Local only: the HTTP stream endpoint hands in a channel; events matching the filter are written to it.</summary>
public sealed record SubscribeEvents(EventFilter Filter, ChannelWriter<CraneEvent> Writer);

public sealed record UnsubscribeEvents(ChannelWriter<CraneEvent> Writer);

/// <summary>Bounded in-memory log of cluster events, fed from the crane-events topic; ids increase by one.</summary>
public sealed class EventLogActor : ReceiveActor
{
    private readonly int _capacity;
    private readonly LinkedList<CraneEvent> _events = new();
    private readonly Dictionary<ChannelWriter<CraneEvent>, EventFilter> _subscribers = new();
    private long _nextId = 1;

    public EventLogActor(int capacity)
    {
        _capacity = capacity;
        Receive<SubscribeAck>(_ => { });
        Receive<CraneEvent>(Record);
        Receive<QueryEvents>(q => Sender.Tell(_events.Where(q.Filter.Matches).ToList()));
        Receive<SubscribeEvents>(s =>
        {
            foreach (var e in _events.Where(s.Filter.Matches))
                s.Writer.TryWrite(e);
            _subscribers[s.Writer] = s.Filter;
        });
        Receive<UnsubscribeEvents>(u => { _subscribers.Remove(u.Writer); });
    }

    public static Props Props(int capacity = 10_000) => Akka.Actor.Props.Create(() => new EventLogActor(capacity));

    protected override void PreStart() =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(EventPublisher.Topic, Self));

    private void Record(CraneEvent raw)
    {
        var e = raw with { Id = _nextId++ };
        _events.AddLast(e);
        if (_events.Count > _capacity)
            _events.RemoveFirst();
        CraneMetrics.EventsTotal.WithLabels(e.Type, e.Reason).Inc();
        foreach (var (writer, filter) in _subscribers)
        {
            if (filter.Matches(e) && !writer.TryWrite(e))
                _subscribers.Remove(writer);
        }
    }
}
