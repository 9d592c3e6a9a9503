using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;

namespace Crane.Actors.Hosting;

/// <summary>Asks <see cref="LocalActorHealth"/> which watched actors have stopped; the answer is a <see cref="HealthReport"/>.</summary>
public sealed record GetHealth
{
    public static readonly GetHealth Instance = new();
}

/// <summary>Stopped: the watched actors (by name) that ran in this process and are gone while it is still a cluster member.</summary>
public sealed record HealthReport(IReadOnlyList<string> Running, IReadOnlyList<string> Stopped)
{
    public bool Healthy => Stopped.Count == 0;
}

/// <summary>
/// Watches the actors whose loss makes this process useless though it still answers HTTP: the singletons it hosts
/// (scheduler, policy, …; only on the oldest control member), the event log and the node. A watched actor found at
/// its path counts as running; once it terminates while this member is Up, it counts as stopped until it is found
/// again (a backoff supervisor restarting it, a new singleton incarnation). A member that leaves hands its singletons
/// over: that is not a failure. Singletons hosted by another member are never found here and never count.
/// </summary>
public sealed class LocalActorHealth : ReceiveActor, IWithTimers
{
    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    private readonly IReadOnlyDictionary<string, string> _paths;
    private readonly Dictionary<string, IActorRef> _running = new(StringComparer.Ordinal);
    private readonly HashSet<string> _stopped = new(StringComparer.Ordinal);

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="paths">name → actor path in this system, e.g. "scheduler" → "/user/scheduler/scheduler".</param>
    /// <param name="lookEvery">How often actors not yet (or no longer) running are looked for.</param>
    public LocalActorHealth(IReadOnlyDictionary<string, string> paths, TimeSpan lookEvery)
    {
        _paths = paths;
        Receive<Tick>(_ => Look());
        Receive<ActorIdentity>(found =>
        {
            if (found.MessageId is string name && found.Subject is { } actor && !_running.ContainsKey(name))
            {
                _running[name] = actor;
                _stopped.Remove(name);
                Context.Watch(actor);
            }
        });
        Receive<Terminated>(t =>
        {
            var name = _running.FirstOrDefault(r => r.Value.Equals(t.ActorRef)).Key;
            if (name is null)
                return;
            _running.Remove(name);
            if (StillMember())
                _stopped.Add(name);
        });
        Receive<GetHealth>(_ => Sender.Tell(new HealthReport(
            _running.Keys.Order(StringComparer.Ordinal).ToList(), _stopped.Order(StringComparer.Ordinal).ToList())));
        Timers.StartPeriodicTimer("look", Tick.Instance, TimeSpan.Zero, lookEvery);
    }

    public static Props Props(IReadOnlyDictionary<string, string> paths, TimeSpan? lookEvery = null) =>
        Akka.Actor.Props.Create(() => new LocalActorHealth(paths, lookEvery ?? TimeSpan.FromSeconds(1)));

    /// <summary>The /healthz answer: 200 {status: ok, running} or 503 {status: unhealthy, error, stopped, running}.</summary>
    public static async Task<(int Status, object Body)> AnswerAsync(ActorRegistry registry, CancellationToken cancel)
    {
        HealthReport report;
        try
        {
            var health = await registry.GetAsync<LocalActorHealth>(cancel);
            report = await health.Ask<HealthReport>(GetHealth.Instance, TimeSpan.FromSeconds(3), cancel);
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException or MissingActorRegistryEntryException)
        {
            return (503, new { status = "unhealthy", error = $"the health watcher did not answer: {ex.Message}" });
        }

        return report.Healthy
            ? (200, new { status = "ok", running = report.Running })
            : (503, new { status = "unhealthy", error = $"stopped in this process: {string.Join(", ", report.Stopped)}", stopped = report.Stopped, running = report.Running });
    }

    private void Look()
    {
        foreach (var (name, path) in _paths)
        {
            if (!_running.ContainsKey(name))
                Context.ActorSelection(path).Tell(new Identify(name));
        }
    }

    /// <summary>Up (or weakly up) and not shutting down: a watched actor that stops now was lost, not handed over.</summary>
    private bool StillMember()
    {
        if (CoordinatedShutdown.Get(Context.System).ShutdownReason is not null)
            return false;
        var status = Cluster.Get(Context.System).SelfMember.Status;
        return status is MemberStatus.Up or MemberStatus.WeaklyUp;
    }
}
