using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using Akka.Pattern;
using Akka.Persistence.Sql;
using Akka.TestKit.Xunit2;
using Crane.Actors.Events;
using Crane.Actors.Observability;
using Crane.Contracts.Messages;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;
using Filter = Crane.Actors.Events.EventFilter;

namespace Crane.Actors.Tests.Events;

/// <summary>
/// The persistent event log against a temporary SQLite file with Akka.Persistence.Sql (journal and snapshot store, as
/// crane-seed configures them by default) and the serializer bindings of hocon/crane.conf.
/// </summary>
public sealed class EventLogActorTests : TestKit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>AwaitCondition would poll every tenth of its timeout.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    private readonly string _db;
    private readonly ITestOutputHelper _output;
    private readonly string _persistenceId = $"events-test-{Guid.NewGuid():N}";

    public EventLogActorTests(ITestOutputHelper output)
        : this(output, Path.Combine(Path.GetTempPath(), $"crane-eventlog-{Guid.NewGuid():N}.db"))
    {
    }

    private EventLogActorTests(ITestOutputHelper output, string db) : base(Config(db), output: output)
    {
        _db = db;
        _output = output;
        CreateTables();
    }

    /// <summary>
    /// Lets the plugins create their tables (as a first start of crane-seed does), then drops the pooled connections.
    /// A pooled SQLite connection that read the schema before a table existed reports "no such table" when SQLite cannot
    /// re-check the schema because another connection holds the write lock; in production the tables exist after the
    /// first start, and here every test starts on a new file.
    /// </summary>
    private void CreateTables()
    {
        var warmup = Sys.ActorOf(EventLogActor.Props("warmup-" + _persistenceId, capacity: 1, snapshotEvery: 1));
        RecordN(warmup, 1);
        AwaitCondition(() =>
        {
            try
            {
                return Count("SELECT COUNT(*) FROM snapshot WHERE persistence_id = 'warmup-' || $id") == 1;
            }
            catch (SqliteException)
            {
                return false; // no snapshot table yet
            }
        }, Patience, Poll);
        Stop(warmup);
        SqliteConnection.ClearAllPools();
    }

    private static Config Config(string db)
    {
        var connection = $"Data Source={db}";
        return ConfigurationFactory.ParseString($$"""
                akka.coordinated-shutdown.exit-clr = off
                akka.loglevel = WARNING
                akka.persistence.journal.plugin = "akka.persistence.journal.sql"
                akka.persistence.journal.sql {
                  connection-string = "{{connection}}"
                  provider-name = "{{LinqToDB.ProviderName.SQLiteMS}}"
                }
                akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.sql"
                akka.persistence.snapshot-store.sql {
                  connection-string = "{{connection}}"
                  provider-name = "{{LinqToDB.ProviderName.SQLiteMS}}"
                }
                """)
            .WithFallback(ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(RepoRoot(), "hocon", "crane.conf"))))
            .WithFallback(SqlPersistence.DefaultConfiguration)
            .WithFallback(TestConfig.Cluster);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Crane.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Crane.sln not found above " + AppContext.BaseDirectory);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing)
            return;
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _db, _db + "-wal", _db + "-shm", _db + "-journal" })
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
            }
        }
    }

    private static CraneEvent Event(string reason, string workload = "web", string? node = "n1", string type = CraneEvent.Normal, int i = 0) =>
        new(0, DateTimeOffset.UnixEpoch.AddSeconds(i), type, reason, new ObjectRef("Workload", workload), node, $"{reason} #{i.ToString(CultureInfo.InvariantCulture)}");

    private IActorRef Start(int capacity = EventLogActor.DefaultCapacity, int snapshotEvery = EventLogActor.DefaultSnapshotEvery) =>
        Sys.ActorOf(EventLogActor.Props(_persistenceId, capacity, snapshotEvery));

    private EventLogStatus Status(IActorRef log) => log.Ask<EventLogStatus>(GetEventLogStatus.Instance, Patience).GetAwaiter().GetResult();

    private List<CraneEvent> Query(IActorRef log, Filter? filter = null) =>
        log.Ask<List<CraneEvent>>(new QueryEvents(filter ?? Filter.All), Patience).GetAwaiter().GetResult();

    /// <summary>Sends the events and waits until every one is written.</summary>
    private void Record(IActorRef log, IEnumerable<CraneEvent> events)
    {
        var before = Status(log).LastId;
        var sent = 0;
        foreach (var e in events)
        {
            log.Tell(e);
            sent++;
        }

        AwaitCondition(() => Status(log) is { Pending: 0 } s && s.LastId >= before + sent, Patience, Poll);
    }

    private void RecordN(IActorRef log, int count, string reason = "Tick", int from = 0) =>
        Record(log, Enumerable.Range(from, count).Select(i => Event(reason, i: i)));

    private static IActorRef? CurrentChild(IActorRef supervisor) =>
        supervisor.Ask<BackoffSupervisor.CurrentChild>(BackoffSupervisor.GetCurrentChild.Instance, Patience).GetAwaiter().GetResult().Ref;

    /// <summary>Stops the log and waits until it is gone, so that a new incarnation with the same persistence id may start.</summary>
    private void Stop(IActorRef log)
    {
        Watch(log);
        Sys.Stop(log);
        ExpectTerminated(log, Patience);
        Unwatch(log);
    }

    private long JournalRows() => Count("SELECT COUNT(*) FROM journal WHERE persistence_id = $id");

    private long LiveJournalRows() => Count("SELECT COUNT(*) FROM journal WHERE persistence_id = $id AND deleted = 0");

    private long SnapshotRows() => Count("SELECT COUNT(*) FROM snapshot WHERE persistence_id = $id");

    private long Count(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={_db};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", _persistenceId);
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public void EventLog_gives_increasing_ids_and_keeps_only_the_newest_capacity_events()
    {
        var log = Start(capacity: 5);

        RecordN(log, 8);

        var events = Query(log);
        Assert.Equal([4L, 5, 6, 7, 8], events.Select(e => e.Id));
        Assert.Equal(["Tick #3", "Tick #4", "Tick #5", "Tick #6", "Tick #7"], events.Select(e => e.Message));
        var status = Status(log);
        Assert.Equal(8, status.LastId);
        Assert.Equal(5, status.Count);
    }

    [Fact]
    public void EventLog_recovers_the_same_events_and_ids_and_continues_after_them()
    {
        var reason = "Recovered" + Guid.NewGuid().ToString("N")[..8];
        var counter = CraneMetrics.EventsTotal.WithLabels(CraneEvent.Normal, reason);
        var log = Start(capacity: 100);
        Record(log, Enumerable.Range(0, 30).Select(i => Event(reason, node: i % 2 == 0 ? "n1" : null, i: i) with
        {
            Details = new Dictionary<string, string> { ["workload"] = "web", ["i"] = i.ToString(CultureInfo.InvariantCulture) },
        }));
        var before = Query(log);
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), before.Select(e => e.Id));
        Assert.Equal(30, counter.Value);

        Stop(log);
        var again = Start(capacity: 100);

        var after = Query(again);
        Assert.Equal(before.Count, after.Count);
        for (var i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i] with { Details = null }, after[i] with { Details = null });
            Assert.Equal(before[i].Details!.OrderBy(kv => kv.Key), after[i].Details!.OrderBy(kv => kv.Key));
        }

        Assert.Equal(30, counter.Value); // recovery does not count the events again
        RecordN(again, 1, reason);
        Assert.Equal(31, Query(again).Last().Id);
        Assert.Equal(31, counter.Value);
    }

    [Fact]
    public void EventLog_snapshots_every_n_events_and_deletes_the_journal_and_older_snapshots_behind_it()
    {
        var log = Start(capacity: 25, snapshotEvery: 10);

        RecordN(log, 57);

        // The snapshot at 50 is stored, then the journal up to it is deleted: what remains is the 7 events after it
        // and Akka.Persistence.Sql's deleted-marker row that keeps the highest sequence number; one snapshot.
        AwaitAssert(() =>
        {
            Assert.Equal(7, LiveJournalRows());
            Assert.True(JournalRows() <= 8, $"{JournalRows()} journal rows");
            Assert.Equal(1, SnapshotRows());
        }, Patience, Poll);

        Stop(log);
        var again = Start(capacity: 25, snapshotEvery: 10);

        var status = Status(again);
        Assert.Equal(50, status.RecoveredFromSnapshot);
        Assert.Equal(7, status.Replayed);
        Assert.Equal(57, status.LastId);
        Assert.Equal(57, status.SequenceNr);
        Assert.Equal(Enumerable.Range(33, 25).Select(i => (long)i), Query(again).Select(e => e.Id));

        RecordN(again, 4, from: 57);
        Assert.Equal(Enumerable.Range(37, 25).Select(i => (long)i), Query(again).Select(e => e.Id));
        AwaitAssert(() => Assert.Equal(1, LiveJournalRows()), Patience, Poll); // snapshot at 60, journal entry 61 left
    }

    [Fact]
    public void EventLog_answers_filtered_queries()
    {
        var log = Start();
        Record(log,
        [
            Event("Applied", "web", node: null, i: 1),
            Event("Scheduled", "web", "n1", i: 2) with { Object = new ObjectRef("Replica", "web-1"), Details = new Dictionary<string, string> { ["workload"] = "web" } },
            Event("Applied", "api", node: null, i: 3),
            Event("BackOff", "web", "n2", CraneEvent.Warning, i: 4) with { Object = new ObjectRef("Replica", "web-2"), Details = new Dictionary<string, string> { ["workload"] = "web" } },
            Event("Started", "api", "n2", i: 5),
        ]);

        Assert.Equal([1L, 2, 4], Query(log, Filter.All with { Workload = "web" }).Select(e => e.Id));
        Assert.Equal([4L, 5], Query(log, Filter.All with { Node = "n2" }).Select(e => e.Id));
        Assert.Equal([4L], Query(log, Filter.All with { Type = "warning" }).Select(e => e.Id));
        Assert.Equal([1L, 3], Query(log, Filter.All with { Reason = "applied" }).Select(e => e.Id));
        Assert.Equal([3L, 4, 5], Query(log, Filter.All with { Since = DateTimeOffset.UnixEpoch.AddSeconds(3) }).Select(e => e.Id));
        Assert.Equal([5L], Query(log, Filter.All with { Workload = "api", Node = "n2" }).Select(e => e.Id));
    }

    [Fact]
    public void EventLog_after_recovery_replays_to_a_subscriber_exactly_the_events_after_its_id_then_streams_live()
    {
        var log = Start();
        RecordN(log, 20);
        Stop(log);
        var again = Start();

        var channel = Channel.CreateUnbounded<CraneEvent>();
        again.Tell(new SubscribeEvents(Filter.All with { AfterId = 12 }, channel.Writer));
        RecordN(again, 3, from: 20);

        var received = new List<long>();
        AwaitCondition(() =>
        {
            while (channel.Reader.TryRead(out var e))
                received.Add(e.Id);
            return received.Count >= 11;
        }, Patience, Poll);
        Assert.Equal(Enumerable.Range(13, 11).Select(i => (long)i), received);

        // Nothing more, and nothing after unsubscribing.
        again.Tell(new UnsubscribeEvents(channel.Writer));
        RecordN(again, 2, from: 23);
        Assert.False(channel.Reader.TryRead(out var extra), $"unexpected event {extra}");
    }

    [Fact]
    public void EventLog_replays_the_whole_ring_to_a_subscriber_whose_id_it_never_gave_out()
    {
        var log = Start();
        RecordN(log, 3);

        var channel = Channel.CreateUnbounded<CraneEvent>();
        log.Tell(new SubscribeEvents(Filter.All with { AfterId = 500 }, channel.Writer));
        RecordN(log, 1, from: 3);

        var received = new List<long>();
        AwaitCondition(() =>
        {
            while (channel.Reader.TryRead(out var e))
                received.Add(e.Id);
            return received.Count >= 4;
        }, Patience, Poll);
        Assert.Equal([1L, 2, 3, 4], received);
    }

    [Fact]
    public void EventLog_ends_the_stream_of_a_subscriber_that_falls_behind_instead_of_skipping_events()
    {
        var log = Start();
        var channel = Channel.CreateBounded<CraneEvent>(new BoundedChannelOptions(2) { FullMode = BoundedChannelFullMode.Wait });
        log.Tell(new SubscribeEvents(Filter.All, channel.Writer));

        RecordN(log, 5);

        AwaitCondition(() => channel.Reader.Completion.IsCompleted || channel.Reader.Count == 2, Patience, Poll);
        var read = new List<long>();
        while (channel.Reader.TryRead(out var e))
            read.Add(e.Id);
        Assert.Equal([1L, 2], read);
        Assert.True(channel.Reader.Completion.IsCompleted, "the stream should end so that the client resumes with Last-Event-ID 2");
    }

    [Fact]
    public void EventLog_ends_subscriber_streams_when_it_stops()
    {
        var log = Start();
        var channel = Channel.CreateUnbounded<CraneEvent>();
        log.Tell(new SubscribeEvents(Filter.All, channel.Writer));
        RecordN(log, 1);

        Stop(log);

        Assert.True(channel.Reader.TryRead(out var first) && first.Id == 1, "the event recorded before the stop");
        Assert.True(channel.Reader.Completion.IsCompleted, "the stream should end so that the client reconnects with Last-Event-ID 1");
    }

    [Fact]
    public void EventLog_under_its_supervisor_comes_back_with_its_events_after_the_log_stops()
    {
        var supervised = Sys.ActorOf(EventLogActor.Supervised(_persistenceId, capacity: 10, snapshotEvery: 4), "events");
        RecordN(supervised, 6);
        Assert.Equal([1L, 2, 3, 4, 5, 6], Query(supervised).Select(e => e.Id));
        var channel = Channel.CreateUnbounded<CraneEvent>();
        supervised.Tell(new SubscribeEvents(Filter.All, channel.Writer));

        // A failed journal write stops a persistent actor; the supervisor starts it again after a back-off.
        var child = CurrentChild(supervised)!;
        Stop(child);
        var read = 0;
        while (channel.Reader.TryRead(out _))
            read++;
        Assert.Equal(6, read);
        Assert.True(channel.Reader.Completion.IsCompleted, "the stream should end with the log, for its client to resume");

        AwaitAssert(() =>
        {
            var current = CurrentChild(supervised);
            Assert.NotNull(current);
            Assert.NotEqual(child, current);
        }, Patience, Poll);
        Assert.Equal([1L, 2, 3, 4, 5, 6], Query(supervised).Select(e => e.Id));
        Assert.Equal(4, Status(supervised).RecoveredFromSnapshot);
        RecordN(supervised, 1);
        Assert.Equal(7, Status(supervised).LastId);
    }

    [Fact]
    public void EventLog_records_and_recovers_ten_thousand_events_with_the_default_settings()
    {
        var log = Start();
        var clock = Stopwatch.StartNew();
        RecordN(log, 10_000);
        var recorded = clock.Elapsed;
        // Older snapshots and journal rows are deleted after each snapshot is saved, asynchronously: wait for both.
        AwaitAssert(() =>
        {
            Assert.True(LiveJournalRows() < EventLogActor.DefaultSnapshotEvery, $"{LiveJournalRows()} live journal rows");
            Assert.Equal(1, SnapshotRows());
        }, Patience, Poll);
        Stop(log);

        clock.Restart();
        var again = Start();
        var status = Status(again);
        var recovered = clock.Elapsed;
        var bytes = new FileInfo(_db).Length;
        _output.WriteLine($"recorded 10,000 events in {recorded.TotalMilliseconds:0} ms ({10_000 / recorded.TotalSeconds:0}/s); " +
                          $"recovery {status.RecoveryTime.TotalMilliseconds:0} ms inside the actor, {recovered.TotalMilliseconds:0} ms until the first answer " +
                          $"(snapshot at {status.RecoveredFromSnapshot}, {status.Replayed} replayed); database file {bytes / 1024} KiB");

        Assert.Equal(10_000, status.LastId);
        Assert.Equal(10_000, status.Count);
        Assert.Equal(10_000, status.RecoveredFromSnapshot);
        Assert.Equal(0, status.Replayed);
        Assert.Equal(Enumerable.Range(1, 10_000).Select(i => (long)i), Query(again).Select(e => e.Id));
        Assert.True(recorded < TimeSpan.FromSeconds(30), $"recording took {recorded}");
        Assert.True(recovered < TimeSpan.FromSeconds(10), $"recovery took {recovered}");
    }
}
