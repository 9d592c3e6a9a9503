namespace Crane.Runtime;

/// <summary>What to run. <paramref name="Command"/> replaces the image entrypoint and <paramref name="Args"/>
/// its cmd, as Kubernetes maps them. <paramref name="Cpu"/> is in cores, <paramref name="Memory"/> in bytes
/// (0 = no limit). <paramref name="ExtraPorts"/> are published too (probe ports other than the main one).</summary>
public sealed record ContainerSpec(
    string Name,
    string Image,
    IReadOnlyList<string>? Command,
    IReadOnlyList<string>? Args,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyDictionary<string, string> Labels,
    int? Port,
    double Cpu,
    long Memory,
    IReadOnlyList<int>? ExtraPorts = null);
