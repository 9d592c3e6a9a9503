namespace Crane.Contracts.Specs;

/// <summary>
/// Env values that are secrets never leave Crane through its API: those whose name contains PASSWORD, TOKEN, SECRET or
/// KEY (any case), and those the spec lists under secretEnv. Containers still get the real values.
/// </summary>
public static class SpecSecrets
{
    public const string Redacted = "<redacted>";

    private static readonly string[] Markers = ["PASSWORD", "TOKEN", "SECRET", "KEY"];

    public static bool IsSecret(string name, WorkloadSpec spec) =>
        Markers.Any(m => name.Contains(m, StringComparison.OrdinalIgnoreCase)) || spec.SecretEnv?.Contains(name, StringComparer.Ordinal) == true;

    /// <summary>The spec as the API shows it: every secret env value replaced by <see cref="Redacted"/>.</summary>
    public static WorkloadSpec Redact(WorkloadSpec spec) =>
        spec.Env.Keys.Any(k => IsSecret(k, spec))
            ? spec with { Env = spec.Env.ToDictionary(e => e.Key, e => IsSecret(e.Key, spec) ? Redacted : e.Value, StringComparer.Ordinal) }
            : spec;
}
