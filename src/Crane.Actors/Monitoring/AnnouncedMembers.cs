using Crane.Contracts.Messages;

namespace Crane.Actors.Monitoring;

/// <summary>
/// The Crane processes that announced their /metrics on <see cref="MetricsAnnouncer.Topic"/> (as the Prometheus and
/// Alertmanager owners hear them), each forgotten after <paramref name="expiry"/> without an announcement.
/// </summary>
internal sealed class AnnouncedMembers(TimeSpan expiry)
{
    private readonly Dictionary<string, (MemberMetricsEndpoint Endpoint, DateTimeOffset LastSeen)> _members = new(StringComparer.Ordinal);

    /// <summary>The members heard from lately, ordered by member name.</summary>
    public IEnumerable<MemberMetricsEndpoint> Current =>
        _members.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value.Endpoint);

    /// <summary>Records an announcement; true when the member is new or its endpoint changed.</summary>
    public bool Heard(MemberMetricsEndpoint endpoint, DateTimeOffset now)
    {
        var changed = !_members.TryGetValue(endpoint.Member, out var known) || known.Endpoint != endpoint;
        _members[endpoint.Member] = (endpoint, now);
        return changed;
    }

    /// <summary>Forgets the members silent for longer than the expiry; true when any was forgotten.</summary>
    public bool Expire(DateTimeOffset now)
    {
        var stale = _members.Where(kv => now - kv.Value.LastSeen > expiry).Select(kv => kv.Key).ToList();
        foreach (var member in stale)
            _members.Remove(member);
        return stale.Count > 0;
    }
}
