using System.Buffers;
using System.Runtime.InteropServices;

namespace Crane.Scheduling;

/// <summary>
/// Places one replica: filter (feasibility) → score (strategy) → select (highest score, ties by node name),
/// as Nomad's feasibility/rank/select iterators and the kube-scheduler Filter/Score phases.
/// Pure and thread-safe: no state between calls, no clock, no I/O.
/// </summary>
public sealed class Placer
{
    private const int CordonedSlot = 0;
    private const int RuntimeSlot = 1;
    private const int CpuSlot = 2;
    private const int MemorySlot = 3;
    private const int FirstConstraintSlot = 4;
    private const int SlotsPerConstraint = 3;

    private static readonly Unschedulable NoNodes = new([new RejectionReason("no nodes registered", 0)], 0);

    private readonly StrategyRegistry _strategies;
    private readonly INodeFilter[] _extraFilters;

    /// <param name="defaultStrategy">Used when a request names no strategy; must be registered.</param>
    /// <param name="extraFilters">Run after the built-in filters, in order (e.g. the scheduling policy).</param>
    public Placer(StrategyRegistry strategies, string defaultStrategy = SpreadStrategy.StrategyName, IEnumerable<INodeFilter>? extraFilters = null)
    {
        ArgumentNullException.ThrowIfNull(strategies);
        ArgumentException.ThrowIfNullOrEmpty(defaultStrategy);
        if (!strategies.TryGet(defaultStrategy, out _))
        {
            throw new ArgumentException($"default strategy \"{defaultStrategy}\" is not registered", nameof(defaultStrategy));
        }

        _strategies = strategies;
        DefaultStrategy = defaultStrategy;
        _extraFilters = extraFilters?.ToArray() ?? [];
    }

    public string DefaultStrategy { get; }

    public PlacementResult Place(IReadOnlyList<NodeSnapshot> nodes, PlacementRequest request)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(request);

        // The strategy is checked first: it is a mistake in the spec, whatever the nodes.
        var strategyName = string.IsNullOrEmpty(request.Strategy) ? DefaultStrategy : request.Strategy;
        if (!_strategies.TryGet(strategyName, out var strategy))
        {
            return new Unschedulable([new RejectionReason($"unknown strategy \"{strategyName}\"", nodes.Count)], nodes.Count);
        }

        if (nodes.Count == 0)
        {
            return NoNodes;
        }

        NodeSnapshot[]? copied = null;
        var feasible = ArrayPool<NodeSnapshot>.Shared.Rent(nodes.Count);
        var feasibleCount = 0;
        try
        {
            var all = AsSpan(nodes, ref copied);
            var constraints = Compile(request.Constraints);
            var tally = new RejectionTally(constraints.Length, _extraFilters.Length);

            foreach (var node in all)
            {
                if (IsFeasible(node, request, constraints, ref tally))
                {
                    feasible[feasibleCount++] = node;
                }
            }

            if (feasibleCount == 0)
            {
                return tally.ToUnschedulable(request, constraints, all.Length);
            }

            return Select(strategy, all, feasible, feasibleCount, request);
        }
        finally
        {
            Array.Clear(feasible, 0, feasibleCount);
            ArrayPool<NodeSnapshot>.Shared.Return(feasible);
            if (copied is not null)
            {
                Array.Clear(copied, 0, nodes.Count);
                ArrayPool<NodeSnapshot>.Shared.Return(copied);
            }
        }
    }

    /// <summary>
    /// Runs every filter on the node, not only up to the first failure, so the user sees every obstacle: a node
    /// short of memory and outside the zone is counted under both reasons (as kube-scheduler counts each reason of
    /// a node; unlike it, later filters still run after one fails).
    /// </summary>
    private bool IsFeasible(NodeSnapshot node, PlacementRequest request, CompiledConstraint[] constraints, ref RejectionTally tally)
    {
        var feasible = true;
        if (node.Cordoned)
        {
            tally.Reject(CordonedSlot);
            feasible = false;
        }

        if (!node.Runtimes.Contains(request.Runtime))
        {
            tally.Reject(RuntimeSlot);
            feasible = false;
        }

        // Cpu is compared in whole millicores, the unit specs use, so 0.1 + 0.2 allocated leaves room for 0.7 of 1.
        var freeMillicores = Quantity.ToMillicores(node.Capacity.Cpu) - Quantity.ToMillicores(node.Allocated.Cpu);
        if (Quantity.ToMillicores(request.Requests.Cpu) > freeMillicores)
        {
            tally.Reject(CpuSlot);
            feasible = false;
        }

        if (request.Requests.Memory > node.Capacity.Memory - node.Allocated.Memory)
        {
            tally.Reject(MemorySlot);
            feasible = false;
        }

        for (var i = 0; i < constraints.Length; i++)
        {
            var outcome = constraints[i].Evaluate(node.Labels);
            if (outcome != ConstraintOutcome.Met)
            {
                tally.Reject(ConstraintSlot(i, outcome));
                feasible = false;
            }
        }

        if (_extraFilters.Length > 0)
        {
            tally.BeginNode();
            foreach (var filter in _extraFilters)
            {
                if (filter.Reject(node, request) is { } reason)
                {
                    tally.Reject(reason);
                    feasible = false;
                }
            }
        }

        return feasible;
    }

    private static PlacementResult Select(
        IPlacementStrategy strategy, ReadOnlySpan<NodeSnapshot> all, NodeSnapshot[] feasible, int feasibleCount, PlacementRequest request)
    {
        var scores = ArrayPool<double>.Shared.Rent(feasibleCount);
        try
        {
            if (strategy is IBatchPlacementStrategy batch)
            {
                batch.ScoreAll(all, feasible.AsSpan(0, feasibleCount), request, scores.AsSpan(0, feasibleCount));
            }
            else
            {
                IReadOnlyList<NodeSnapshot> view = new ArraySegment<NodeSnapshot>(feasible, 0, feasibleCount);
                for (var i = 0; i < feasibleCount; i++)
                {
                    scores[i] = strategy.Score(feasible[i], request, view);
                }
            }

            // Highest score wins; equal scores go to the ordinally smallest name so the answer never depends on order.
            var best = 0;
            var bestScore = Comparable(scores[0]);
            for (var i = 1; i < feasibleCount; i++)
            {
                var score = Comparable(scores[i]);
                if (score > bestScore
                    || (score == bestScore && string.CompareOrdinal(feasible[i].Name, feasible[best].Name) < 0))
                {
                    best = i;
                    bestScore = score;
                }
            }

            return new Placed(feasible[best].Name, scores[best]);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scores);
        }
    }

    // A NaN from a custom strategy ranks below every number instead of making the comparison meaningless.
    private static double Comparable(double score) => double.IsNaN(score) ? double.NegativeInfinity : score;

    private static ReadOnlySpan<NodeSnapshot> AsSpan(IReadOnlyList<NodeSnapshot> nodes, ref NodeSnapshot[]? copied)
    {
        switch (nodes)
        {
            case NodeSnapshot[] array:
                return array;
            case List<NodeSnapshot> list:
                return CollectionsMarshal.AsSpan(list);
            default:
                copied = ArrayPool<NodeSnapshot>.Shared.Rent(nodes.Count);
                for (var i = 0; i < nodes.Count; i++)
                {
                    copied[i] = nodes[i];
                }

                return copied.AsSpan(0, nodes.Count);
        }
    }

    private static CompiledConstraint[] Compile(IReadOnlyList<Constraint> constraints)
    {
        if (constraints.Count == 0)
        {
            return [];
        }

        var compiled = new List<CompiledConstraint>(constraints.Count);
        for (var i = 0; i < constraints.Count; i++)
        {
            // A repeated constraint would count every node twice under the same reason.
            var repeated = false;
            for (var j = 0; j < i && !repeated; j++)
            {
                repeated = constraints[j].Equals(constraints[i]);
            }

            if (!repeated)
            {
                compiled.Add(new CompiledConstraint(constraints[i]));
            }
        }

        return compiled.ToArray();
    }

    private static int ConstraintSlot(int constraint, ConstraintOutcome outcome) =>
        FirstConstraintSlot + (constraint * SlotsPerConstraint) + ((int)outcome - 1);

    /// <summary>Counts rejections per reason without building a reason string per node.</summary>
    private struct RejectionTally(int constraintCount, int extraFilterCount)
    {
        private int[]? _slots;
        private Dictionary<string, int>? _extra;
        private string?[]? _nodeExtra;
        private int _nodeExtraCount;

        public void Reject(int slot)
        {
            _slots ??= new int[FirstConstraintSlot + (constraintCount * SlotsPerConstraint)];
            _slots[slot]++;
        }

        public void BeginNode() => _nodeExtraCount = 0;

        public void Reject(string reason)
        {
            // Two extra filters giving one node the same reason count it once.
            _nodeExtra ??= new string?[extraFilterCount];
            for (var i = 0; i < _nodeExtraCount; i++)
            {
                if (string.Equals(_nodeExtra[i], reason, StringComparison.Ordinal))
                {
                    return;
                }
            }

            _nodeExtra[_nodeExtraCount++] = reason;
            _extra ??= new Dictionary<string, int>(StringComparer.Ordinal);
            CollectionsMarshal.GetValueRefOrAddDefault(_extra, reason, out _)++;
        }

        public readonly Unschedulable ToUnschedulable(PlacementRequest request, CompiledConstraint[] constraints, int totalNodes)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            if (_slots is not null)
            {
                if (_slots[CordonedSlot] > 0)
                {
                    Add(counts, "node cordoned", _slots[CordonedSlot]);
                }

                if (_slots[RuntimeSlot] > 0)
                {
                    Add(counts, $"runtime {request.Runtime} not supported", _slots[RuntimeSlot]);
                }

                if (_slots[CpuSlot] > 0)
                {
                    Add(counts, $"insufficient cpu (requested {Quantity.Cpu(request.Requests.Cpu)})", _slots[CpuSlot]);
                }

                if (_slots[MemorySlot] > 0)
                {
                    Add(counts, $"insufficient memory (requested {Quantity.Memory(request.Requests.Memory)})", _slots[MemorySlot]);
                }

                for (var i = 0; i < constraints.Length; i++)
                {
                    foreach (var outcome in (ReadOnlySpan<ConstraintOutcome>)[ConstraintOutcome.NotMet, ConstraintOutcome.LabelNotInteger, ConstraintOutcome.Invalid])
                    {
                        var nodes = _slots[ConstraintSlot(i, outcome)];
                        if (nodes > 0)
                        {
                            Add(counts, constraints[i].Reason(outcome), nodes);
                        }
                    }
                }
            }

            if (_extra is not null)
            {
                foreach (var (reason, nodes) in _extra)
                {
                    Add(counts, reason, nodes);
                }
            }

            var reasons = new List<RejectionReason>(counts.Count);
            foreach (var (reason, nodes) in counts)
            {
                reasons.Add(new RejectionReason(reason, nodes));
            }

            // Most common reason first; equal counts in text order so the message is stable.
            reasons.Sort(static (a, b) => a.Nodes != b.Nodes ? b.Nodes.CompareTo(a.Nodes) : string.CompareOrdinal(a.Reason, b.Reason));
            return new Unschedulable(reasons, totalNodes);
        }

        // Summed by text: an extra filter may give the same reason as a built-in one.
        private static void Add(Dictionary<string, int> counts, string reason, int nodes) =>
            CollectionsMarshal.GetValueRefOrAddDefault(counts, reason, out _) += nodes;
    }
}
