using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
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

/// <summary>
/// Local only: the HTTP stream endpoint hands in a channel; the recorded events matching the filter are written to it,
/// then every new one. The log completes the channel when it cannot keep up (the channel is full) or stops, so the
/// client reconnects with Last-Event-ID and resumes from the log.
/// </summary>
public sealed record SubscribeEvents(EventFilter Filter, ChannelWriter<CraneEvent> Writer);

public sealed record UnsubscribeEvents(ChannelWriter<CraneEvent> Writer);

/// <summary>Asks the event log for an <see cref="EventLogStatus"/> (diagnostics and tests).</summary>
public sealed record GetEventLogStatus
{
    public static readonly GetEventLogStatus Instance = new();
}

/// <param name="LastId">Id of the newest recorded (persisted) event; 0 when there is none.</param>
/// <param name="Count">Events in the ring.</param>
/// <param name="SequenceNr">The journal sequence number of the newest recorded event.</param>
/// <param name="RecoveredFromSnapshot">Sequence number of the snapshot the last recovery started from; 0 without one.</param>
/// <param name="Replayed">Journal entries the last recovery replayed on top of the snapshot.</param>
/// <param name="RecoveryTime">How long the last recovery took.</param>
/// <param name="Pending">Events given an id whose journal write has not completed yet.</param>
public sealed record EventLogStatus(long LastId, int Count, long SequenceNr, long RecoveredFromSnapshot, int Replayed, TimeSpan RecoveryTime, int Pending);

/// <summary>
/// The event log of one control member, fed from the crane-events topic: a bounded ring of the newest events with ids
/// that increase by one, persisted so that it survives a restart with the same ids.
/// <para>
/// Each event is given the next id and written with PersistAsync (commands are not stashed behind writes; Akka batches
/// the writes in flight). It enters the ring, the subscribers and crane_events_total only once written, so no client
/// sees an id that a crash could give out again. Every <c>snapshotEvery</c> events the ring is snapshotted; once the
/// snapshot is stored, the journal up to it and the older snapshots are deleted, so storage holds one snapshot of at
/// most <c>capacity</c> events plus fewer than <c>snapshotEvery</c> journal entries (plus the one deleted-marker row
/// Akka.Persistence.Sql keeps for the highest sequence number).
/// </para>
/// </summary>
public sealed class EventLogActor : ReceivePersistentActor
{
    public const int DefaultCapacity = 10_000;
    public const int DefaultSnapshotEvery = 1_000;

    private readonly string _persistenceId;
    private readonly int _capacity;
    private readonly int _snapshotEvery;
    private readonly int _maxPending;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly LinkedList<CraneEvent> _events = new();
    private readonly Dictionary<ChannelWriter<CraneEvent>, EventFilter> _subscribers = new();
    private readonly Stopwatch _recoveryClock = Stopwatch.StartNew();

    private long _lastId;
    private long _nextId = 1;
    private int _pending;
    private long _dropped;
    private long _recoveredFromSnapshot;
    private int _replayed;
    private TimeSpan _recoveryTime;

    public EventLogActor(string persistenceId, int capacity, int snapshotEvery)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapshotEvery, 1);
        _persistenceId = persistenceId;
        _capacity = capacity;
        _snapshotEvery = snapshotEvery;
        _maxPending = Math.Max(capacity, 1_000);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is not EventLogSnapshot snapshot)
                return;
            _events.Clear();
            foreach (var e in snapshot.Events.Skip(Math.Max(0, snapshot.Events.Count - _capacity)))
                _events.AddLast(e);
            _lastId = snapshot.LastId;
            _recoveredFromSnapshot = offer.Metadata.SequenceNr;
        });
        Recover<CraneEvent>(e =>
        {
            Append(e);
            _replayed++;
        });
        Recover<RecoveryCompleted>(_ =>
        {
            _nextId = _lastId + 1;
            _recoveryTime = _recoveryClock.Elapsed;
            if (LastSequenceNr > 0)
            {
                _log.Info("Event log {0} recovered {1} events (ids up to {2}) from the snapshot at {3} and {4} journal entries in {5} ms",
                    _persistenceId, _events.Count, _lastId, _recoveredFromSnapshot, _replayed,
                    _recoveryTime.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture));
            }
        });

        Command<SubscribeAck>(_ => { });
        Command<CraneEvent>(Record);
        Command<QueryEvents>(q => Sender.Tell(_events.Where(q.Filter.Matches).ToList()));
        Command<SubscribeEvents>(Subscribe);
        Command<UnsubscribeEvents>(u => { _subscribers.Remove(u.Writer); });
        Command<GetEventLogStatus>(_ => Sender.Tell(
            new EventLogStatus(_lastId, _events.Count, LastSequenceNr, _recoveredFromSnapshot, _replayed, _recoveryTime, _pending)));

        Command<SaveSnapshotSuccess>(s =>
        {
            DeleteMessages(s.Metadata.SequenceNr);
            if (s.Metadata.SequenceNr > 1)
                DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(f =>
            _log.Warning(f.Cause, "Event log {0}: saving the snapshot at {1} failed; the journal is kept until the next one", _persistenceId, f.Metadata.SequenceNr));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(f =>
            _log.Warning(f.Cause, "Event log {0}: deleting the journal up to {1} failed", _persistenceId, f.ToSequenceNr));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f =>
            _log.Warning(f.Cause, "Event log {0}: deleting the snapshots before {1} failed", _persistenceId, f.Criteria.MaxSequenceNr));
    }

    public override string PersistenceId => _persistenceId;

    /// <summary>The persistence id of a control member's log: stable across restarts of the same member.</summary>
    public static string PersistenceIdFor(string hostname, int akkaPort) =>
        $"events-{hostname}-{akkaPort.ToString(CultureInfo.InvariantCulture)}";

    public static Props Props(string persistenceId, int capacity = DefaultCapacity, int snapshotEvery = DefaultSnapshotEvery) =>
        Akka.Actor.Props.Create(() => new EventLogActor(persistenceId, capacity, snapshotEvery));

    /// <summary>
    /// The log under a back-off supervisor that forwards every message to it: a failed journal write or recovery stops a
    /// persistent actor, and the log must come back (recovering what was written) rather than stay gone until a restart.
    /// </summary>
    public static Props Supervised(string persistenceId, int capacity = DefaultCapacity, int snapshotEvery = DefaultSnapshotEvery) =>
        BackoffSupervisor.Props(Backoff.OnStop(Props(persistenceId, capacity, snapshotEvery), "log",
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2, maxNrOfRetries: -1));

    protected override void PreStart() =>
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(EventPublisher.Topic, Self));

    protected override void PostStop()
    {
        // Streams end instead of going silent; their clients resume with Last-Event-ID.
        foreach (var writer in _subscribers.Keys)
            writer.TryComplete();
        _subscribers.Clear();
        base.PostStop();
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _pending--;
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    private void Record(CraneEvent raw)
    {
        if (_pending >= _maxPending)
        {
            // The journal is not keeping up: bound the memory rather than queue without end.
            if (_dropped++ % 1_000 == 0)
                _log.Warning("Event log {0}: {1} events wait for the journal; dropped {2} so far ({3} {4})", _persistenceId, _pending, _dropped, raw.Reason, raw.Object.Name);
            return;
        }

        _pending++;
        PersistAsync(raw with { Id = _nextId++ }, e =>
        {
            _pending--;
            Append(e);
            CraneMetrics.EventsTotal.WithLabels(e.Type, e.Reason).Inc();
            Publish(e);
            if (LastSequenceNr % _snapshotEvery == 0)
                SaveSnapshot(new EventLogSnapshot(_lastId, _events.ToList()));
        });
    }

    private void Append(CraneEvent e)
    {
        _events.AddLast(e);
        if (_events.Count > _capacity)
            _events.RemoveFirst();
        _lastId = e.Id;
    }

    private void Subscribe(SubscribeEvents s)
    {
        // An id this log never gave out (another member's log, or storage that was reset) would hide every event
        // until the ids caught up: replay the whole ring instead.
        var filter = s.Filter.AfterId > _lastId ? s.Filter with { AfterId = null } : s.Filter;
        foreach (var e in _events)
        {
            if (filter.Matches(e) && !s.Writer.TryWrite(e))
            {
                s.Writer.TryComplete();
                return;
            }
        }

        _subscribers[s.Writer] = filter;
    }

    private void Publish(CraneEvent e)
    {
        List<ChannelWriter<CraneEvent>>? full = null;
        foreach (var (writer, filter) in _subscribers)
        {
            if (filter.Matches(e) && !writer.TryWrite(e))
                (full ??= []).Add(writer);
        }

        if (full is null)
            return;
        foreach (var writer in full)
        {
            // A slow reader: end its stream after what it has buffered rather than skip events silently.
            writer.TryComplete();
            _subscribers.Remove(writer);
        }
    }
}
