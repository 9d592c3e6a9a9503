namespace Crane.Contracts.Messages;

/// <summary>API → alert receiver singleton: an Alertmanager webhook body (already checked by the API; parsed again there).</summary>
public sealed record ReceiveAlerts(string Body) : IWireMessage;

/// <summary>What became of one alert: Verdict is Act, Duplicate, RateLimited or NoAction; Action is what it asked for.</summary>
public sealed record AlertOutcome(string Alert, string Fingerprint, string Status, string Action, string Verdict, string Reason);

/// <summary>The receiver's answer; Error is set (and nothing done) when the body is not a valid payload.</summary>
public sealed record AlertsHandled(IReadOnlyList<AlertOutcome> Alerts, string? Error) : IWireMessage;

/// <summary>Replace the replica's container (an alert's restart): the node kills it and starts a new one, with the restart back-off.</summary>
public sealed record RestartReplica(string Workload, string ReplicaId, string Reason) : IWorkloadMessage;

/// <summary>Move the replica: a replacement is placed and started first, then the replica stops (an alert's reschedule).</summary>
public sealed record RescheduleReplica(string Workload, string ReplicaId, string Reason) : IWorkloadMessage;

/// <summary>The workload exists but has no such replica (or it is not on a node yet).</summary>
public sealed record ReplicaNotFound(string Workload, string ReplicaId) : IWireMessage;
