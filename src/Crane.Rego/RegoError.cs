namespace Crane.Rego;

/// <summary>OPA's error codes, plus the evaluation-budget code Crane adds.</summary>
public static class RegoErrorCodes
{
    public const string ParseError = "rego_parse_error";
    public const string CompileError = "rego_compile_error";
    public const string TypeError = "rego_type_error";
    public const string UnsafeVar = "rego_unsafe_var_error";
    public const string Recursion = "rego_recursion_error";
    public const string EvalConflict = "eval_conflict_error";
    public const string EvalType = "eval_type_error";
    public const string EvalBuiltin = "eval_builtin_error";
    public const string EvalBudget = "eval_budget_exceeded";
    public const string EvalUndefinedFunction = "eval_undefined_function_error";
}

/// <summary>A compile or evaluation error; <see cref="Line"/> and <see cref="Column"/> are 1-based, 0 when unknown.</summary>
public sealed record RegoError(string Code, string Message, string? File = null, int Line = 0, int Column = 0)
{
    public override string ToString() =>
        File is null && Line == 0 ? $"{Code}: {Message}" : $"{File}:{Line}:{Column}: {Code}: {Message}";
}

/// <summary>Carries a <see cref="RegoError"/> out of the parser or evaluator; the public API returns the error.</summary>
public sealed class RegoException : Exception
{
    public RegoException(string code, string message, Location? location = null) : base(message)
    {
        Code = code;
        Location = location;
    }

    public string Code { get; }
    public Location? Location { get; }

    public RegoError ToError() => new(Code, Message, Location?.File, Location?.Line ?? 0, Location?.Column ?? 0);
}

/// <summary>A source position: file name, 1-based line and column.</summary>
public sealed record Location(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}
