namespace Crane.Contracts.Messages;

/// <summary>
/// Snapshot of one control member's event log: the bounded ring (oldest first) and the last id it recorded.
/// Stored by Akka.Persistence, never sent; an <see cref="IWireMessage"/> so that crane-json serializes it.
/// </summary>
public sealed record EventLogSnapshot(long LastId, IReadOnlyList<CraneEvent> Events) : IWireMessage;
