namespace Crane.Rego;

internal abstract record Term(Location Loc);

internal sealed record ScalarTerm(Value Value, Location Loc) : Term(Loc);

/// <summary>A variable; after resolution locals carry a unique name ("x$3"), roots are "data" and "input".</summary>
internal sealed record VarTerm(string Name, Location Loc) : Term(Loc)
{
    public bool IsWildcard => Name == "_";
    public bool IsRoot => Name is "data" or "input";
}

internal sealed record RefTerm(Term Head, IReadOnlyList<Term> Path, Location Loc) : Term(Loc);

internal sealed record ArrayTerm(IReadOnlyList<Term> Items, Location Loc) : Term(Loc);

internal sealed record ObjectTerm(IReadOnlyList<KeyValuePair<Term, Term>> Items, Location Loc) : Term(Loc);

internal sealed record SetTerm(IReadOnlyList<Term> Items, Location Loc) : Term(Loc);

internal enum ComprehensionKind { Array, Set, Object }

internal sealed record ComprehensionTerm(ComprehensionKind Kind, Term? Key, Term Value, Body Body, Location Loc) : Term(Loc)
{
    /// <summary>Outer variables the comprehension reads; they must be bound before it runs.</summary>
    public IReadOnlyList<string> ClosureVars { get; init; } = [];
}

/// <summary>What a call resolves to: a built-in by name or a user function by its data path.</summary>
internal sealed record CallTarget(string? Builtin, string[]? FunctionPath)
{
    public string Name => Builtin ?? "data." + string.Join(".", FunctionPath!);
}

internal sealed record CallTerm(IReadOnlyList<string> Operator, IReadOnlyList<Term> Args, Location Loc) : Term(Loc)
{
    public CallTarget? Target { get; init; }

    /// <summary>True when the call carries one extra argument that receives the result (<c>count(x, n)</c>).</summary>
    public bool HasOutputArg { get; init; }
}

internal sealed record TemplateTerm(IReadOnlyList<object> Parts, Location Loc) : Term(Loc);

internal enum WithKind { Input, Data, Function }

internal sealed record WithModifier(Term Target, Term Value, Location Loc)
{
    public WithKind Kind { get; init; }

    /// <summary>Path below input or data, or the mocked function's name parts.</summary>
    public IReadOnlyList<string> Path { get; init; } = [];

    /// <summary>Set when the mocked function's target (builtin name or function path) is stable for lookup.</summary>
    public string MockKey { get; init; } = "";

    /// <summary>Set when the replacement is itself a function rather than a value.</summary>
    public CallTarget? FunctionValue { get; init; }
}

internal abstract record Expr(Location Loc)
{
    public IReadOnlyList<WithModifier> Withs { get; init; } = [];
}

internal sealed record TermExpr(Term Term, Location Loc) : Expr(Loc);

internal sealed record UnifyExpr(Term Left, Term Right, bool IsAssign, Location Loc) : Expr(Loc);

internal sealed record NotExpr(Expr Inner, Location Loc) : Expr(Loc)
{
    public IReadOnlyList<string> RequiredVars { get; init; } = [];
}

internal sealed record SomeDeclExpr(IReadOnlyList<VarTerm> Vars, Location Loc) : Expr(Loc);

internal sealed record SomeInExpr(Term? Key, Term Value, Term Collection, Location Loc) : Expr(Loc);

internal sealed record EveryExpr(Term? Key, Term Value, Term Domain, Body Body, Location Loc) : Expr(Loc)
{
    public IReadOnlyList<string> ClosureVars { get; init; } = [];
}

internal sealed record Body(IReadOnlyList<Expr> Exprs)
{
    public static readonly Body Empty = new([]);
}

internal enum RuleKind { Complete, PartialSet, Function }

internal sealed record Rule(
    Location Loc,
    bool IsDefault,
    IReadOnlyList<Term> Ref,
    IReadOnlyList<Term>? Args,
    RuleKind Kind,
    Term? Key,
    Term Value,
    Body Body,
    Rule? Else);

internal sealed record Import(IReadOnlyList<string> Path, string Alias, Location Loc);

internal sealed record Module(string File, IReadOnlyList<string> Package, IReadOnlyList<Import> Imports, IReadOnlyList<Rule> Rules);
