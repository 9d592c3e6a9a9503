using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Crane.Actors.Events;
using Crane.Actors.Observability;
using Crane.Contracts.Messages;
using Crane.Contracts.Specs;
using Crane.Scheduling;

namespace Crane.Actors.Scheduling;

/// <summary>Registry key for the scheduler singleton proxy.</summary>
public sealed class SchedulerSingleton;

/// <summary>
/// Cluster singleton. Keeps the node registry and the allocation ledger, runs the pure placement
/// pipeline for each replica, and forwards messages to node actors by name.
/// The ledger is rebuilt from the workloads' periodic SyncAllocations after a failover.
/// </summary>
public sealed class SchedulerActor : ReceiveActor
{
    private sealed record NodeEntry(NodeDescriptor Descriptor, IActorRef Actor, bool Up);

    private readonly Placer _placer;
    private readonly EventPublisher _events;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, NodeEntry> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, Allocation>> _ledger = new(StringComparer.Ordinal);

    public SchedulerActor(Placer placer, EventPublisher events)
    {
        _placer = placer;
        _events = events;
        Receive<RegisterNode>(Register);
        Receive<Terminated>(t => NodeGone(t.ActorRef));
        Receive<ScheduleReplica>(Schedule);
        Receive<SyncAllocations>(Sync);
        Receive<ToNode>(Forward);
        Receive<GetNodes>(_ => Sender.Tell(new NodeList(Views())));
    }

    public static Props Props(Placer placer, EventPublisher events) =>
        Akka.Actor.Props.Create(() => new SchedulerActor(placer, events));

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
        _nodes[name] = new NodeEntry(msg.Node, msg.NodeActor, Up: true);
        CraneMetrics.NodeCapacity.WithLabels(name, "cpu").Set(msg.Node.CapacityCpu);
        CraneMetrics.NodeCapacity.WithLabels(name, "memory").Set(msg.Node.CapacityMemory);
        _log.Info("Node {0} registered at {1}", name, msg.Node.Address);
        _events.Normal("NodeJoined", "Node", name, name,
            $"node {name} joined with {msg.Node.CapacityCpu} cpu, {Quantity.FormatMemory(msg.Node.CapacityMemory)} memory");
        UpdateAllocatedMetrics();
    }

    private void NodeGone(IActorRef actor)
    {
        foreach (var (name, entry) in _nodes.Where(kv => kv.Value.Actor.Equals(actor)).ToList())
        {
            _nodes[name] = entry with { Up = false };
            _log.Warning("Node {0} is gone", name);
            _events.Warning("NodeLost", "Node", name, name, $"node {name} stopped answering");
        }
    }

    private void Schedule(ScheduleReplica msg)
    {
        var started = Stopwatch.GetTimestamp();
        var request = ToRequest(msg.Workload, msg.Spec);
        var result = _placer.Place(Snapshots(), request);
        CraneMetrics.SchedulingDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        switch (result)
        {
            case Placed placed:
                CraneMetrics.SchedulingAttempts.WithLabels("scheduled").Inc();
                Reserve(msg.Workload, new Allocation(msg.ReplicaId, placed.Node, msg.Spec.Resources.Cpu, msg.Spec.Resources.Memory));
                Sender.Tell(new ReplicaPlaced(msg.Workload, msg.ReplicaId, placed.Node));
                break;
            case Unschedulable refused:
                CraneMetrics.SchedulingAttempts.WithLabels("unschedulable").Inc();
                Sender.Tell(new ReplicaUnschedulable(msg.Workload, msg.ReplicaId, refused.Message));
                break;
        }
    }

    private void Sync(SyncAllocations msg)
    {
        var entries = msg.Allocations.ToDictionary(a => a.ReplicaId);
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
        UpdateAllocatedMetrics();
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

        return _nodes.Values
            .Where(n => n.Up)
            .Select(n => new NodeSnapshot(
                n.Descriptor.Name,
                new Resources(n.Descriptor.CapacityCpu, n.Descriptor.CapacityMemory),
                allocated.GetValueOrDefault(n.Descriptor.Name),
                n.Descriptor.Labels,
                n.Descriptor.Runtimes.ToHashSet(),
                Cordoned: false,
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
                    n.Up ? "Ready" : "Down",
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
