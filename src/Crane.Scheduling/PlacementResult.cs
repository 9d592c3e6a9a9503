using System.Text;

namespace Crane.Scheduling;

public abstract record PlacementResult;

public sealed record Placed(string Node, double Score) : PlacementResult;

/// <summary>One reason nodes were rejected and how many nodes it applied to.</summary>
public sealed record RejectionReason(string Reason, int Nodes);

/// <summary>
/// No node can take the replica. <see cref="Reasons"/> are sorted by node count, descending, then by text;
/// a node rejected for several reasons is counted under each of them.
/// </summary>
public sealed record Unschedulable(IReadOnlyList<RejectionReason> Reasons, int TotalNodes) : PlacementResult
{
    /// <summary>E.g. <c>0/5 nodes available: 3 insufficient memory (requested 8Gi); 2 constraint zone In [b] not met</c>.</summary>
    public string Message
    {
        get
        {
            var message = new StringBuilder().Append("0/").Append(TotalNodes).Append(" nodes available");
            for (var i = 0; i < Reasons.Count; i++)
            {
                message.Append(i == 0 ? ": " : "; ");
                // A reason that is about no node in particular (e.g. "no nodes registered") carries no count.
                if (Reasons[i].Nodes > 0)
                {
                    message.Append(Reasons[i].Nodes).Append(' ');
                }

                message.Append(Reasons[i].Reason);
            }

            return message.ToString();
        }
    }

    // Value equality over Reasons too, so an actor can tell whether the answer changed since the last attempt.
    public bool Equals(Unschedulable? other) =>
        other is not null && TotalNodes == other.TotalNodes && Reasons.SequenceEqual(other.Reasons);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(TotalNodes);
        foreach (var reason in Reasons)
        {
            hash.Add(reason);
        }

        return hash.ToHashCode();
    }
}
