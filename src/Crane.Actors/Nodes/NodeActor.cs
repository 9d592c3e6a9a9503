using Akka.Actor;
using Akka.Event;
using Crane.Actors.Events;
using Crane.Contracts.Messages;
using Crane.Runtime;

namespace Crane.Actors.Nodes;

public sealed record NodeOptions(
    string Name,
    string Address,
    double CapacityCpu,
    long CapacityMemory,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> ContainerLabels,
    TimeSpan OrphanGrace,
    TimeSpan RelistInterval);

/// <summary>
/// One per worker process. Registers with the scheduler, runs a ReplicaActor per replica, watches
/// the engine's event stream and re-lists containers by label to catch missed events (like the
/// kubelet's PLEG), and adopts or removes containers it finds from before a restart.
/// </summary>
public sealed class NodeActor : ReceiveActor, IWithTimers, IWithStash
{
    private sealed record Prepared(IReadOnlyList<ContainerInfo> Existing);

    private sealed record PrepareFailed(Exception Error);

    private sealed record Relist;

    private sealed record Relisted(IReadOnlyList<ContainerInfo> Containers, DateTimeOffset ListedAt);

    private sealed record RegisterTick;

    private sealed record OrphanSweep;

    private sealed record EngineEvent(ContainerEvent Event);

    private static readonly TimeSpan RegisterInterval = TimeSpan.FromSeconds(3);

    private readonly NodeOptions _options;
    private readonly IContainerRuntime _runtime;
    private readonly IActorRef _scheduler;
    private readonly ReplicaContext _replicaContext;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _cts = new();
    private readonly Dictionary<string, ContainerInfo> _orphans = new();

    public ITimerScheduler Timers { get; set; } = null!;
    public IStash Stash { get; set; } = null!;

    public NodeActor(NodeOptions options, IContainerRuntime runtime, IActorRef scheduler, IActorRef workloads, EventPublisher events, TimeProvider time)
    {
        _options = options;
        _runtime = runtime;
        _scheduler = scheduler;
        _replicaContext = new ReplicaContext(options.Name, runtime, new Prober(runtime, new HttpClient()), workloads, events, time,
            Backoff.Default, options.ContainerLabels);
        Initializing();
    }

    /// <summary>
    /// A replica actor that throws is stopped, not restarted: restarting would replay its creation
    /// arguments and could start a second container. The workload re-ensures the replica and the
    /// next actor adopts or replaces the container.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_ => Directive.Stop);

    public static Props Props(NodeOptions options, IContainerRuntime runtime, IActorRef scheduler, IActorRef workloads, EventPublisher events, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new NodeActor(options, runtime, scheduler, workloads, events, time));

    private Dictionary<string, string> OwnLabels => NodeLabels(_options.Name, _options.ContainerLabels);

    /// <summary>The labels that pick a node's containers: the node name plus this cluster's --container-labels, so two clusters sharing an engine and node names leave each other alone.</summary>
    public static Dictionary<string, string> NodeLabels(string node, IReadOnlyDictionary<string, string> containerLabels) =>
        new(containerLabels) { ["crane.managed"] = "true", ["crane.node"] = node };

    protected override void PreStart()
    {
        var runtime = _runtime;
        var labels = OwnLabels;
        var ct = _cts.Token;
        async Task<IReadOnlyList<ContainerInfo>> PrepareAsync()
        {
            await runtime.PrepareAsync(ct);
            return await runtime.ListAsync(labels, ct);
        }

        PrepareAsync().PipeTo(Self, success: list => new Prepared(list), failure: ex => new PrepareFailed(ex));
    }

    protected override void PostStop()
    {
        _cts.Cancel();
        _cts.Dispose();
    }

    private void Initializing()
    {
        Receive<Prepared>(p =>
        {
            foreach (var c in p.Existing)
            {
                if (c.Labels.TryGetValue("crane.replica", out var replica) && c.Labels.TryGetValue("crane.workload", out var workload))
                    _orphans[ChildName(workload, replica)] = c;
            }

            _log.Info("Node {0} ready on runtime {1}; found {2} containers from before", _options.Name, _runtime.Name, _orphans.Count);
            StartWatching();
            Timers.StartPeriodicTimer("relist", new Relist(), _options.RelistInterval);
            Timers.StartPeriodicTimer("register", new RegisterTick(), RegisterInterval);
            Timers.StartSingleTimer("orphans", new OrphanSweep(), _options.OrphanGrace);
            RegisterWithScheduler();
            Become(Active);
            Stash.UnstashAll();
        });
        Receive<PrepareFailed>(f =>
        {
            _log.Error(f.Error, "Node {0}: container runtime {1} is not usable: {2}", _options.Name, _runtime.Name, f.Error.Message);
            throw new InvalidOperationException($"container runtime {_runtime.Name} is not usable: {f.Error.Message}", f.Error);
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private void Active()
    {
        Receive<EnsureReplica>(OnEnsure);
        Receive<StopReplica>(OnStop);
        Receive<RestartContainer>(r =>
        {
            var child = Context.Child(ChildName(r.Workload, r.ReplicaId));
            if (!child.IsNobody())
                child.Forward(r);
        });
        Receive<PeerNodeLost>(OnPeerLost);
        Receive<EngineEvent>(e => OnEngineEvent(e.Event));
        Receive<Relist>(_ =>
        {
            var listedAt = _replicaContext.Time.GetUtcNow();
            _runtime.ListAsync(OwnLabels, _cts.Token).PipeTo(Self, success: list => new Relisted(list, listedAt));
        });
        Receive<Relisted>(OnRelisted);
        Receive<RegisterTick>(_ => RegisterWithScheduler());
        Receive<OrphanSweep>(_ => SweepOrphans());
        Receive<Terminated>(_ => { });
        Receive<Status.Failure>(f => _log.Warning("Node {0}: {1}", _options.Name, f.Cause.Message));
    }

    private void RegisterWithScheduler()
    {
        // The bound address (a node started with --akka-port 0 learns its port only now).
        var self = Akka.Cluster.Cluster.Get(Context.System).SelfAddress;
        var address = self.Host is null ? _options.Address : $"{self.Host}:{self.Port}";
        _scheduler.Tell(new RegisterNode(new NodeDescriptor(_options.Name, address, _options.CapacityCpu, _options.CapacityMemory,
            _options.Labels, [_runtime.Name]), Self));
    }

    private static string ChildName(string workload, string replicaId) => $"{workload}.{replicaId}";

    private void OnEnsure(EnsureReplica ensure)
    {
        var name = ChildName(ensure.Workload, ensure.ReplicaId);
        var child = Context.Child(name);
        if (!child.IsNobody())
        {
            child.Forward(ensure);
            return;
        }

        _orphans.Remove(name, out var adopt);
        if (adopt is not null && adopt.Labels.GetValueOrDefault("crane.generation") != ensure.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            _ = _runtime.RemoveAsync(adopt.Id, TimeSpan.FromSeconds(5), CancellationToken.None);
            adopt = null;
        }

        // A replica's container is disposable: if it misbehaves, the actor stops and the workload re-ensures it.
        var created = Context.ActorOf(ReplicaActor.Props(ensure, _replicaContext, adopt), name);
        Context.Watch(created);
    }

    private void OnStop(StopReplica stop)
    {
        var name = ChildName(stop.Workload, stop.ReplicaId);
        var child = Context.Child(name);
        if (!child.IsNobody())
        {
            child.Forward(stop);
            return;
        }

        var workloads = _replicaContext.Workloads;
        var node = _options.Name;
        if (_orphans.Remove(name, out var orphan))
        {
            _runtime.RemoveAsync(orphan.Id, TimeSpan.FromSeconds(5), CancellationToken.None)
                .ContinueWith(_ => workloads.Tell(new ReplicaStopped(stop.Workload, stop.ReplicaId, node)));
        }
        else
        {
            workloads.Tell(new ReplicaStopped(stop.Workload, stop.ReplicaId, node));
        }
    }

    /// <summary>Containers a lost node left on an engine this node shares would serve as zombies: remove them.</summary>
    private void OnPeerLost(PeerNodeLost lost)
    {
        if (lost.Node == _options.Name)
            return;
        var runtime = _runtime;
        var events = _replicaContext.Events;
        var me = _options.Name;
        var extra = _options.ContainerLabels;
        async Task RemoveAsync()
        {
            var left = await runtime.ListAsync(NodeLabels(lost.Node, extra), CancellationToken.None);
            foreach (var c in left)
                await runtime.RemoveAsync(c.Id, TimeSpan.FromSeconds(2), CancellationToken.None);
            if (left.Count > 0)
                events.Normal("OrphansRemoved", "Node", lost.Node, me, $"removed {left.Count} container(s) that lost node {lost.Node} left on the shared engine");
        }

        RemoveAsync().PipeTo(Self, failure: ex => new Status.Failure(ex));
    }

    /// <summary>Called when this member was downed by the cluster: its replicas run elsewhere by now, so its containers must go.</summary>
    public static async Task RemoveOwnContainers(IContainerRuntime runtime, string node, IReadOnlyDictionary<string, string> containerLabels)
    {
        var mine = await runtime.ListAsync(NodeLabels(node, containerLabels), CancellationToken.None);
        await Task.WhenAll(mine.Select(c => runtime.RemoveAsync(c.Id, TimeSpan.FromSeconds(2), CancellationToken.None)));
    }

    private void StartWatching()
    {
        var self = Self;
        var runtime = _runtime;
        var labels = OwnLabels;
        var ct = _cts.Token;
        _ = Task.Run(() => runtime.WatchAsync(labels, e => self.Tell(new EngineEvent(e)), ct), ct);
    }

    private void OnEngineEvent(ContainerEvent e)
    {
        if (e.Action is not ("die" or "destroy" or "oom"))
            return;
        if (!e.Labels.TryGetValue("crane.replica", out var replica) || !e.Labels.TryGetValue("crane.workload", out var workload))
            return;
        var child = Context.Child(ChildName(workload, replica));
        if (!child.IsNobody())
        {
            var exitCode = e.Labels.TryGetValue("exitCode", out var code) && int.TryParse(code, out var parsed) ? parsed : (int?)null;
            child.Tell(new ContainerExited(e.ContainerId, exitCode, e.Action == "destroy" ? "was removed" : e.Action == "oom" ? "ran out of memory" : "died"));
        }
    }

    private void OnRelisted(Relisted relisted)
    {
        var byReplica = relisted.Containers
            .Where(c => c.Labels.ContainsKey("crane.replica") && c.Labels.ContainsKey("crane.workload"))
            .GroupBy(c => ChildName(c.Labels["crane.workload"], c.Labels["crane.replica"]))
            .ToDictionary(g => g.Key, g => g.ToList());
        foreach (var child in Context.GetChildren())
        {
            child.Tell(new ContainerCheck(byReplica.GetValueOrDefault(child.Path.Name) ?? [], relisted.ListedAt));
        }
    }

    private void SweepOrphans()
    {
        foreach (var (name, orphan) in _orphans)
        {
            _log.Info("Node {0}: removing container {1} ({2}) that no workload claimed", _options.Name, orphan.Name, orphan.Id);
            _ = _runtime.RemoveAsync(orphan.Id, TimeSpan.FromSeconds(5), CancellationToken.None);
        }

        _orphans.Clear();
    }
}

/// <summary>From a relist: every container the engine has for this replica (possibly none).</summary>
public sealed record ContainerCheck(IReadOnlyList<ContainerInfo> Containers, DateTimeOffset ListedAt);
