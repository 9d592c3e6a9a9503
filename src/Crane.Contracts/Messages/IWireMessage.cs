namespace Crane.Contracts.Messages;

/// <summary>
/// Marks a message that may cross the network between cluster members. Akka serializes these with
/// Crane's System.Text.Json serializer (bound in hocon/crane.conf), so they must round-trip as JSON:
/// records of primitives, specs, lists and dictionaries.
/// </summary>
public interface IWireMessage;
