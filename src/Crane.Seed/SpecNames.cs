using System.Text.RegularExpressions;

namespace Crane.Seed;

internal static partial class SpecNames
{
    /// <summary>Workload names are DNS-1123 labels; anything else cannot exist, so it is a 404 without asking the cluster.</summary>
    public static bool IsValid(string name) => name.Length <= 63 && Label().IsMatch(name);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();
}

internal static class SpecLimits
{
    public const int MaxReplicas = Crane.Contracts.Specs.SpecParser.MaxReplicas;
}
