using System.Diagnostics.CodeAnalysis;

namespace Crane.Scheduling;

/// <summary>Placement strategies by name. Register at startup, before placing; not safe to mutate while placing.</summary>
public sealed class StrategyRegistry
{
    private readonly Dictionary<string, IPlacementStrategy> _strategies = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _strategies.Keys;

    /// <summary><c>binpack</c>, <c>spread</c> and the example custom strategy <c>fewest-replicas</c>.</summary>
    public static StrategyRegistry CreateDefault()
    {
        var registry = new StrategyRegistry();
        registry.Register(new BinPackStrategy());
        registry.Register(new SpreadStrategy());
        registry.Register(new FewestReplicasStrategy());
        return registry;
    }

    /// <exception cref="InvalidOperationException">A strategy with that name is already registered.</exception>
    public void Register(IPlacementStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentException.ThrowIfNullOrEmpty(strategy.Name);
        // As kube-scheduler's plugin registry: a second strategy under a taken name is a mistake, not an override.
        if (!_strategies.TryAdd(strategy.Name, strategy))
        {
            throw new InvalidOperationException($"a strategy named \"{strategy.Name}\" is already registered");
        }
    }

    public bool TryGet(string name, [MaybeNullWhen(false)] out IPlacementStrategy strategy)
    {
        if (name is not null && _strategies.TryGetValue(name, out var found))
        {
            strategy = found;
            return true;
        }

        strategy = null;
        return false;
    }
}
