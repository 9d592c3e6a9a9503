namespace Crane.Contracts.Messages;

/// <summary>deny blocks, warn lets through with a warning, dryrun only records (as Gatekeeper's enforcementAction).</summary>
public enum Enforcement
{
    Deny,
    Warn,
    DryRun,
}

public sealed record PutPolicy(string Id, string Source, Enforcement Enforcement) : IWireMessage;

public sealed record DeletePolicy(string Id) : IWireMessage;

public sealed record GetPolicy(string Id) : IWireMessage;

public sealed record ListPolicies : IWireMessage
{
    public static readonly ListPolicies Instance = new();
}

public sealed record PolicyView(string Id, Enforcement Enforcement, string Source) : IWireMessage;

public sealed record PolicyListView(IReadOnlyList<PolicyView> Policies) : IWireMessage;

public sealed record PolicyNotFound(string Id) : IWireMessage;

/// <summary>The module does not compile; nothing was stored.</summary>
public sealed record PolicyInvalid(string Id, string Message, int Line, int Column) : IWireMessage;

/// <summary>Input document: {workload: spec, operation: create|update, user}.</summary>
public sealed record EvaluateAdmission(string WorkloadJson, string Operation, string User) : IWireMessage;

public sealed record PolicyViolation(string Policy, string Message);

/// <summary>Available false: the engine could not answer (the caller fails closed or open).</summary>
public sealed record AdmissionDecision(bool Available, IReadOnlyList<PolicyViolation> Violations, IReadOnlyList<PolicyViolation> Warnings,
    IReadOnlyList<PolicyViolation> DryRun, string? Error) : IWireMessage;

/// <summary>Input per node: {workload, replica, node}. Answer: node → reasons it is denied.</summary>
public sealed record EvaluateScheduling(string Workload, string WorkloadJson, string ReplicaId, IReadOnlyList<string> NodesJson) : IWireMessage;

public sealed record SchedulingDecision(bool Available, IReadOnlyDictionary<string, IReadOnlyList<string>> Denied, string? Error) : IWireMessage;

/// <summary>Input: {workload, current, desired}. Answer: the allowed count and why it differs.</summary>
public sealed record EvaluateScaling(string Workload, string WorkloadJson, int Current, int Desired) : IWireMessage;

public sealed record ScalingDecision(bool Available, int Allowed, IReadOnlyList<string> Reasons, string? Error) : IWireMessage;
