using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Persistence;
using Crane.Actors.Events;
using Crane.Actors.Observability;
using Crane.Actors.Policy;
using Crane.Contracts.Messages;
using Crane.Contracts.Specs;
using Crane.Scheduling;

namespace Crane.Actors.Scheduling;

/// <summary>Registry key for the scheduler singleton proxy.</summary>
public sealed class SchedulerSingleton;

// Persisted by SchedulerActor: only what an operator decided; everything else is rebuilt from nodes and workloads.
public sealed record NodeCordoned(string Node);

public sealed record NodeUncordoned(string Node);

/// <summary>
/// Cluster singleton. Keeps the node registry and the allocation ledger, runs the pure placement
/// pipeline for each replica, forwards commands to node actors by name, and turns a node that left
/// the cluster into NodeLost for every workload that had replicas there. Persists only cordons; the
/// ledger is rebuilt from the workloads' periodic SyncAllocations after a failover.
/// </summary>
public sealed class SchedulerActor : ReceivePersistentActor
{
    private sealed record NodeEntry(NodeDescriptor Descriptor, IActorRef Actor, bool Up, bool Reachable, bool Draining);

    private sealed record PolicyAnswered(ScheduleReplica Request, IActorRef ReplyTo, SchedulingDecision Decision);

    // The policy's own decision deadline plus time for the messages; past it the placement fails closed.
    private static readonly TimeSpan PolicyAnswerMargin = TimeSpan.FromSeconds(1);

    private readonly Placer _placer;
    private readonly EventPublisher _events;
    private readonly Func<IActorRef> _workloads;
    private readonly IActorRef _policy;
    private readonly PolicyFilter _policyFilter;
    private readonly TimeSpan _policyTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, NodeEntry> _nodes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _cordoned = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, Allocation>> _ledger = new(StringComparer.Ordinal);

    public override string PersistenceId => "crane-scheduler";

    /// <param name="policyDecisionTimeout">The policy engine's per-decision deadline (--policy-timeout-seconds); the scheduler waits a little longer.</param>
    public SchedulerActor(Placer placer, EventPublisher events, Func<IActorRef> workloads, IActorRef policy, PolicyFilter policyFilter, TimeSpan? policyDecisionTimeout = null)
    {
        _placer = placer;
        _events = events;
        _workloads = workloads;
        _policy = policy;
        _policyFilter = policyFilter;
        _policyTimeout = (policyDecisionTimeout ?? PolicyLimits.Default.Timeout!.Value) + PolicyAnswerMargin;
        Recover<NodeCordoned>(e => _cordoned.Add(e.Node));
        Recover<NodeUncordoned>(e => _cordoned.Remove(e.Node));
        Command<RegisterNode>(Register);
        Command<Terminated>(t => NodeGone(t.ActorRef));
        Command<ClusterEvent.UnreachableMember>(m => SetReachable(m.Member.Address, false));
        Command<ClusterEvent.ReachableMember>(m => SetReachable(m.Member.Address, true));
        Command<ClusterEvent.IMemberEvent>(_ => { });
        Command<ClusterEvent.CurrentClusterState>(_ => { });
        Command<ScheduleReplica>(AskPolicy);
        Command<PolicyAnswered>(Schedule);
        Command<SyncAllocations>(Sync);
        Command<ToNode>(Forward);
        Command<GetNodes>(_ => Sender.Tell(new NodeList(Views())));
        Command<SetNodeSchedulable>(SetSchedulable);
        Command<WorkloadAck>(_ => { });
        Command<WorkloadNotFound>(_ => { });
    }

    public static Props Props(Placer placer, EventPublisher events, Func<IActorRef> workloads, IActorRef policy, PolicyFilter policyFilter, TimeSpan? policyDecisionTimeout = null) =>
        Akka.Actor.Props.Create(() => new SchedulerActor(placer, events, workloads, policy, policyFilter, policyDecisionTimeout));

    protected override void PreStart()
    {
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.IMemberEvent));
        base.PreStart();
    }

    protected override void PostStop()
    {
        Cluster.Get(Context.System).Unsubscribe(Self);
        base.PostStop();
    }

    private void Register(RegisterNode msg)
    {
        var name = msg.Node.Name;
        var known = _nodes.TryGetValue(name, out var existing);
        if (known && existing!.Up && existing.Actor.Equals(msg.NodeActor))
        {
            _nodes[name] = existing with { Descriptor = msg.Node };
            return;
        }

        if (known && !existing!.Actor.Equals(msg.NodeActor))
            Context.Unwatch(existing.Actor);
        Context.Watch(msg.NodeActor);
        _nodes[name] = new NodeEntry(msg.Node, msg.NodeActor, Up: true, Reachable: true, Draining: false);
        CraneMetrics.NodeCapacity.WithLabels(name, "cpu").Set(msg.Node.CapacityCpu);
        CraneMetrics.NodeCapacity.WithLabels(name, "memory").Set(msg.Node.CapacityMemory);
        _log.Info("Node {0} registered at {1}", name, msg.Node.Address);
        _events.Normal("NodeJoined", "Node", name, name,
            $"node {name} joined with {msg.Node.CapacityCpu} cpu, {Quantity.FormatMemory(msg.Node.CapacityMemory)} memory" +
            (_cordoned.Contains(name) ? " (cordoned)" : ""));
        UpdateAllocatedMetrics();
    }

    private void SetReachable(Address member, bool reachable)
    {
        foreach (var (name, entry) in _nodes.Where(kv => kv.Value.Actor.Path.Address.Equals(member) && kv.Value.Up).ToList())
        {
            if (entry.Reachable == reachable)
                continue;
            _nodes[name] = entry with { Reachable = reachable };
            if (reachable)
                _events.Normal("NodeReachable", "Node", name, name, $"node {name} answers again");
            else
                _events.Warning("NodeUnreachable", "Node", name, name, $"node {name} stopped answering heartbeats; it is replaced if it does not come back");
        }
    }

    /// <summary>The node's actor is gone for good (its member was removed, or the actor stopped).</summary>
    private void NodeGone(IActorRef actor)
    {
        foreach (var (name, entry) in _nodes.Where(kv => kv.Value.Actor.Equals(actor)).ToList())
        {
            _nodes[name] = entry with { Up = false, Reachable = false };
            var workloads = _ledger.Where(kv => kv.Value.Values.Any(a => a.Node == name)).Select(kv => kv.Key).ToList();
            _log.Warning("Node {0} is lost; replacing replicas of {1} workloads", name, workloads.Count);
            _events.Warning("NodeLost", "Node", name, name,
                $"node {name} left the cluster; rescheduling the replicas of {workloads.Count} workload(s)");
            foreach (var workload in workloads)
            {
                _ledger[workload] = _ledger[workload].Values.Where(a => a.Node != name).ToDictionary(a => a.ReplicaId);
                _workloads().Tell(new NodeLost(workload, name));
            }

            foreach (var peer in _nodes.Values.Where(n => n.Up))
                peer.Actor.Tell(new PeerNodeLost(name));
        }

        UpdateAllocatedMetrics();
    }

    private void SetSchedulable(SetNodeSchedulable msg)
    {
        if (!_nodes.ContainsKey(msg.Node))
        {
            Sender.Tell(new NodeNotFound(msg.Node));
            return;
        }

        var replyTo = Sender;
        void Done()
        {
            var current = _nodes[msg.Node];
            if (msg.Action == NodeAction.Drain)
            {
                _nodes[msg.Node] = current with { Draining = true };
                var workloads = _ledger.Where(kv => kv.Value.Values.Any(a => a.Node == msg.Node)).Select(kv => kv.Key).ToList();
                foreach (var workload in workloads)
                    _workloads().Tell(new EvacuateNode(workload, msg.Node));
                _events.Normal("Draining", "Node", msg.Node, msg.Node, $"draining node {msg.Node}: moving the replicas of {workloads.Count} workload(s) one by one");
            }
            else if (msg.Action == NodeAction.Uncordon)
            {
                _nodes[msg.Node] = current with { Draining = false };
            }

            replyTo.Tell(Views().First(v => v.Name == msg.Node));
        }

        switch (msg.Action)
        {
            case NodeAction.Cordon or NodeAction.Drain when !_cordoned.Contains(msg.Node):
                Persist(new NodeCordoned(msg.Node), e =>
                {
                    _cordoned.Add(e.Node);
                    _events.Normal("Cordoned", "Node", e.Node, e.Node, $"node {e.Node} takes no new replicas");
                    Done();
                });
                break;
            case NodeAction.Uncordon when _cordoned.Contains(msg.Node):
                Persist(new NodeUncordoned(msg.Node), e =>
                {
                    _cordoned.Remove(e.Node);
                    _events.Normal("Uncordoned", "Node", e.Node, e.Node, $"node {e.Node} takes replicas again");
                    Done();
                });
                break;
            default:
                Done();
                break;
        }

    }

    /// <summary>The scheduling policy is asked first (input per node: {workload, replica, node}); placement follows its answer.</summary>
    private void AskPolicy(ScheduleReplica msg)
    {
        var placed = _ledger.Values.SelectMany(e => e.Values).GroupBy(a => a.Node).ToDictionary(g => g.Key, g => g.Count());
        var mine = _ledger.GetValueOrDefault(msg.Workload)?.Values.GroupBy(a => a.Node).ToDictionary(g => g.Key, g => g.Count())
            ?? new Dictionary<string, int>();
        var nodes = _nodes.Values.Where(n => n.Up).Select(n => System.Text.Json.JsonSerializer.Serialize(new
        {
            name = n.Descriptor.Name,
            labels = n.Descriptor.Labels,
            capacity = new { cpu = n.Descriptor.CapacityCpu, memory = n.Descriptor.CapacityMemory },
            runtimes = n.Descriptor.Runtimes,
            // replicas already on the node: all of them, and this workload's (for share and anti-affinity rules)
            replicas = placed.GetValueOrDefault(n.Descriptor.Name),
            workloadReplicas = mine.GetValueOrDefault(n.Descriptor.Name),
        })).ToList();
        var replyTo = Sender;
        _policy.Ask<SchedulingDecision>(new EvaluateScheduling(msg.Workload, SpecJson.Serialize(msg.Spec), msg.ReplicaId, nodes), _policyTimeout)
            .PipeTo(Self,
                success: d => new PolicyAnswered(msg, replyTo, d),
                failure: ex => new PolicyAnswered(msg, replyTo, new SchedulingDecision(false, new Dictionary<string, IReadOnlyList<string>>(), ex.Message)));
    }

    private void Schedule(PolicyAnswered answered)
    {
        var msg = answered.Request;
        var decision = answered.Decision;
        if (!decision.Available)
        {
            _log.Warning("Scheduling policy unavailable for {0}: {1}; no node is feasible until it answers", msg.Workload, decision.Error);
            _events.Warning("PolicyUnavailable", "Replica", msg.ReplicaId, null,
                $"scheduling policy could not answer ({decision.Error}); {msg.Workload}/{msg.ReplicaId} stays pending (fail closed)");
        }

        _policyFilter.Apply(decision);
        var started = Stopwatch.GetTimestamp();
        var request = ToRequest(msg.Workload, msg.Spec);
        var result = _placer.Place(Snapshots(), request);
        CraneMetrics.SchedulingDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        switch (result)
        {
            case Placed placed:
                CraneMetrics.SchedulingAttempts.WithLabels("scheduled").Inc();
                Reserve(msg.Workload, new Allocation(msg.ReplicaId, placed.Node, msg.Spec.Resources.Cpu, msg.Spec.Resources.Memory));
                answered.ReplyTo.Tell(new ReplicaPlaced(msg.Workload, msg.ReplicaId, placed.Node));
                break;
            case Unschedulable refused:
                CraneMetrics.SchedulingAttempts.WithLabels("unschedulable").Inc();
                answered.ReplyTo.Tell(new ReplicaUnschedulable(msg.Workload, msg.ReplicaId, refused.Message));
                break;
        }
    }

    private void Sync(SyncAllocations msg)
    {
        var entries = msg.Allocations
            .Where(a => !_nodes.TryGetValue(a.Node, out var n) || n.Up)
            .ToDictionary(a => a.ReplicaId);
        if (_ledger.TryGetValue(msg.Workload, out var held))
        {
            foreach (var id in msg.Unbound)
            {
                if (held.TryGetValue(id, out var reserved))
                    entries.TryAdd(id, reserved);
            }
        }

        if (entries.Count == 0)
            _ledger.Remove(msg.Workload);
        else
            _ledger[msg.Workload] = entries;
        CompleteDrains();
        UpdateAllocatedMetrics();
    }

    /// <summary>A draining node with nothing left on it is simply cordoned.</summary>
    private void CompleteDrains()
    {
        foreach (var (name, entry) in _nodes.Where(kv => kv.Value.Draining).ToList())
        {
            if (_ledger.Values.Any(e => e.Values.Any(a => a.Node == name)))
                continue;
            _nodes[name] = entry with { Draining = false };
            _events.Normal("Drained", "Node", name, name, $"node {name} has no replicas left");
        }
    }

    private void Reserve(string workload, Allocation allocation)
    {
        if (!_ledger.TryGetValue(workload, out var entries))
            _ledger[workload] = entries = new Dictionary<string, Allocation>();
        entries[allocation.ReplicaId] = allocation;
        UpdateAllocatedMetrics();
    }

    private void Forward(ToNode msg)
    {
        if (_nodes.TryGetValue(msg.Node, out var entry) && entry.Up)
            entry.Actor.Forward(msg.Message);
        else
            _log.Debug("No live node {0} for {1}", msg.Node, msg.Message.GetType().Name);
    }

    internal static PlacementRequest ToRequest(string workload, WorkloadSpec spec) => new(
        workload,
        new Resources(spec.Resources.Cpu, spec.Resources.Memory),
        spec.Constraints.Select(c => new Constraint(c.Key, Enum.Parse<ConstraintOperator>(c.Operator), c.Values)).ToList(),
        spec.Runtime ?? "docker",
        spec.Strategy,
        spec.SpreadKey);

    private List<NodeSnapshot> Snapshots()
    {
        var allocated = new Dictionary<string, Resources>(StringComparer.Ordinal);
        var byWorkload = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        foreach (var (workload, entries) in _ledger)
        {
            foreach (var a in entries.Values)
            {
                allocated[a.Node] = allocated.GetValueOrDefault(a.Node) + new Resources(a.Cpu, a.Memory);
                if (!byWorkload.TryGetValue(a.Node, out var counts))
                    byWorkload[a.Node] = counts = new Dictionary<string, int>(StringComparer.Ordinal);
                counts[workload] = counts.GetValueOrDefault(workload) + 1;
            }
        }

        // An unreachable node gets nothing new: it may be gone, and placing there would only wait for the failover.
        return _nodes.Values
            .Where(n => n.Up && n.Reachable)
            .Select(n => new NodeSnapshot(
                n.Descriptor.Name,
                new Resources(n.Descriptor.CapacityCpu, n.Descriptor.CapacityMemory),
                allocated.GetValueOrDefault(n.Descriptor.Name),
                n.Descriptor.Labels,
                n.Descriptor.Runtimes.ToHashSet(),
                Cordoned: _cordoned.Contains(n.Descriptor.Name),
                byWorkload.TryGetValue(n.Descriptor.Name, out var counts) ? counts : new Dictionary<string, int>()))
            .ToList();
    }

    private void UpdateAllocatedMetrics()
    {
        foreach (var n in Views())
        {
            CraneMetrics.NodeAllocated.WithLabels(n.Name, "cpu").Set(n.Allocated.Cpu);
            CraneMetrics.NodeAllocated.WithLabels(n.Name, "memory").Set(n.Allocated.Memory);
        }
    }

    private string StatusOf(NodeEntry n) =>
        !n.Up ? "Down"
        : !n.Reachable ? "Unreachable"
        : n.Draining ? "Draining"
        : _cordoned.Contains(n.Descriptor.Name) ? "Cordoned"
        : "Ready";

    private List<NodeView> Views()
    {
        var all = _ledger.Values.SelectMany(e => e.Values).ToList();
        return _nodes.Values
            .OrderBy(n => n.Descriptor.Name, StringComparer.Ordinal)
            .Select(n =>
            {
                var mine = all.Where(a => a.Node == n.Descriptor.Name).ToList();
                return new NodeView(
                    n.Descriptor.Name,
                    StatusOf(n),
                    n.Descriptor.Address,
                    new ResourceView(n.Descriptor.CapacityCpu, n.Descriptor.CapacityMemory),
                    new ResourceView(Math.Round(mine.Sum(a => a.Cpu), 6), mine.Sum(a => a.Memory)),
                    n.Descriptor.Labels,
                    n.Descriptor.Runtimes,
                    mine.Count);
            })
            .ToList();
    }
}
