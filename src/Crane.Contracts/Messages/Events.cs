namespace Crane.Contracts.Messages;

public sealed record ObjectRef(string Kind, string Name);

/// <summary>A cluster event in the Kubernetes style. Id is assigned by the event log.</summary>
public sealed record CraneEvent(
    long Id,
    DateTimeOffset Time,
    string Type,
    string Reason,
    ObjectRef Object,
    string? Node,
    string Message,
    IReadOnlyDictionary<string, string>? Details = null) : IWireMessage
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";
}
