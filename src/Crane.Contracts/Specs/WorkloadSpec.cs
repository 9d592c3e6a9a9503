namespace Crane.Contracts.Specs;

/// <summary>A workload as the user wrote it, after validation and unit normalisation.</summary>
public sealed record WorkloadSpec
{
    public required string Name { get; init; }
    public required string Image { get; init; }
    public int Replicas { get; init; } = 1;
    public ResourceSpec Resources { get; init; } = ResourceSpec.Default;
    public HealthSpec? Health { get; init; }
    public AutoscalingSpec? Autoscaling { get; init; }
    /// <summary>Container port used by probes and the load balancer.</summary>
    public int? Port { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public IReadOnlyList<string>? Args { get; init; }
    public IReadOnlyDictionary<string, string> Env { get; init; } = Empty;
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty;
    /// <summary>Env names whose values the API redacts, besides names with PASSWORD, TOKEN, SECRET or KEY.</summary>
    public IReadOnlyList<string>? SecretEnv { get; init; }
    public IReadOnlyList<ConstraintSpec> Constraints { get; init; } = [];
    public string? Strategy { get; init; }
    public string? SpreadKey { get; init; }
    /// <summary>docker (default) or process.</summary>
    public string? Runtime { get; init; }
    /// <summary>Always (default), OnFailure or Never.</summary>
    public string RestartPolicy { get; init; } = "Always";

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    /// <summary>True when the change needs new containers (anything but replicas/autoscaling).</summary>
    public bool TemplateDiffers(WorkloadSpec other) =>
        TemplateKey() != other.TemplateKey();

    private string TemplateKey() => System.Text.Json.JsonSerializer.Serialize(this with { Replicas = 0, Autoscaling = null }, SpecJson.Options);
}

/// <summary>cpu in cores, memory in bytes.</summary>
public sealed record ResourceSpec(double Cpu, long Memory)
{
    public static readonly ResourceSpec Default = new(0.1, 64L * 1024 * 1024);
}

public sealed record HealthSpec(ProbeSpec? Liveness, ProbeSpec? Readiness, ProbeSpec? Startup);

public sealed record ProbeSpec
{
    /// <summary>http, tcp or exec.</summary>
    public required string Type { get; init; }
    public string? Path { get; init; }
    public int? Port { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    public double InitialDelaySeconds { get; init; }
    public double PeriodSeconds { get; init; } = 10;
    public double TimeoutSeconds { get; init; } = 1;
    public int FailureThreshold { get; init; } = 3;
    public int SuccessThreshold { get; init; } = 1;
}

public sealed record AutoscalingSpec
{
    public int Min { get; init; } = 1;
    public int Max { get; init; }
    /// <summary>cpu, memory or custom.</summary>
    public string Metric { get; init; } = "cpu";
    public double Target { get; init; }
    public string? Query { get; init; }
    public ScalingBehaviorSpec? Behavior { get; init; }
}

public sealed record ScalingBehaviorSpec(ScalingRulesSpec? ScaleUp, ScalingRulesSpec? ScaleDown);

public sealed record ScalingRulesSpec
{
    public double? StabilizationWindowSeconds { get; init; }
    /// <summary>Max, Min or Disabled.</summary>
    public string? SelectPolicy { get; init; }
    public IReadOnlyList<ScalingPolicySpec> Policies { get; init; } = [];
}

/// <summary>Type is Pods or Percent.</summary>
public sealed record ScalingPolicySpec(string Type, int Value, double PeriodSeconds);

/// <summary>Operator is In, NotIn, Exists, DoesNotExist, Gt or Lt.</summary>
public sealed record ConstraintSpec(string Key, string Operator, IReadOnlyList<string> Values);
