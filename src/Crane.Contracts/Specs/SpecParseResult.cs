namespace Crane.Contracts.Specs;

/// <summary>Either a valid spec or the first error found in it.</summary>
public sealed record SpecParseResult(WorkloadSpec? Spec, SpecError? Error)
{
    public bool Ok => Spec is not null;
}

/// <summary>
/// What is wrong and where: Field is the dotted path (<c>resources.memory</c>, <c>constraints[1].operator</c>),
/// null for errors about the document itself; Line and Column are 1-based and point at the offending node
/// (for a missing field, at the mapping that should hold it).
/// </summary>
public sealed record SpecError(string Message, string? Field, int? Line, int? Column);
