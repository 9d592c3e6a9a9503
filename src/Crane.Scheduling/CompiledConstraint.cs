using System.Globalization;

namespace Crane.Scheduling;

internal enum ConstraintOutcome
{
    Met,
    NotMet,
    LabelNotInteger,
    Invalid,
}

/// <summary>A constraint prepared once per placement: the Gt/Lt bound is parsed before the node loop.</summary>
internal readonly struct CompiledConstraint
{
    private readonly long _bound;
    private readonly bool _invalid;

    public CompiledConstraint(Constraint source)
    {
        Source = source;
        if (source.Operator is ConstraintOperator.Gt or ConstraintOperator.Lt)
        {
            // Kubernetes requires exactly one integer value for Gt and Lt; anything else matches no node.
            _invalid = source.Values.Count != 1 || !TryParseInteger(source.Values[0], out _bound);
        }
    }

    public Constraint Source { get; }

    public ConstraintOutcome Evaluate(IReadOnlyDictionary<string, string> labels)
    {
        if (_invalid)
        {
            return ConstraintOutcome.Invalid;
        }

        var present = labels.TryGetValue(Source.Key, out var value);
        switch (Source.Operator)
        {
            case ConstraintOperator.In:
                return present && Contains(Source.Values, value!) ? ConstraintOutcome.Met : ConstraintOutcome.NotMet;
            case ConstraintOperator.NotIn:
                return present && Contains(Source.Values, value!) ? ConstraintOutcome.NotMet : ConstraintOutcome.Met;
            case ConstraintOperator.Exists:
                return present ? ConstraintOutcome.Met : ConstraintOutcome.NotMet;
            case ConstraintOperator.DoesNotExist:
                return present ? ConstraintOutcome.NotMet : ConstraintOutcome.Met;
            case ConstraintOperator.Gt:
            case ConstraintOperator.Lt:
                if (!present)
                {
                    return ConstraintOutcome.NotMet;
                }

                if (!TryParseInteger(value!, out var number))
                {
                    return ConstraintOutcome.LabelNotInteger;
                }

                var met = Source.Operator == ConstraintOperator.Gt ? number > _bound : number < _bound;
                return met ? ConstraintOutcome.Met : ConstraintOutcome.NotMet;
            default:
                return ConstraintOutcome.Invalid;
        }
    }

    public string Reason(ConstraintOutcome outcome) => outcome switch
    {
        ConstraintOutcome.LabelNotInteger => $"constraint {Source} not met: label value is not an integer",
        ConstraintOutcome.Invalid => Source.Operator is ConstraintOperator.Gt or ConstraintOperator.Lt
            ? $"constraint {Source} invalid: needs exactly one integer value"
            : $"constraint {Source} invalid: unknown operator",
        _ => $"constraint {Source} not met",
    };

    private static bool TryParseInteger(string text, out long number) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number);

    private static bool Contains(IReadOnlyList<string> values, string value)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (string.Equals(values[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
