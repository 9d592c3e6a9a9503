namespace Crane.Scheduling;

/// <summary>Operators of Kubernetes node affinity (<c>NodeSelectorRequirement</c>).</summary>
public enum ConstraintOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

/// <summary>
/// A requirement on a node label. A missing label fails In, Exists, Gt and Lt and passes NotIn and
/// DoesNotExist. Gt and Lt take exactly one integer value and compare it with the label parsed as an integer.
/// </summary>
public sealed record Constraint(string Key, ConstraintOperator Operator, IReadOnlyList<string> Values)
{
    // Value equality over Values too, so two specs with the same constraint compare equal.
    public bool Equals(Constraint? other) =>
        other is not null
        && string.Equals(Key, other.Key, StringComparison.Ordinal)
        && Operator == other.Operator
        && Values.SequenceEqual(other.Values, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Key, StringComparer.Ordinal);
        hash.Add(Operator);
        foreach (var value in Values)
        {
            hash.Add(value, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    public override string ToString() => Operator switch
    {
        ConstraintOperator.Exists or ConstraintOperator.DoesNotExist => $"{Key} {Operator}",
        _ => $"{Key} {Operator} [{string.Join(", ", Values)}]",
    };
}
