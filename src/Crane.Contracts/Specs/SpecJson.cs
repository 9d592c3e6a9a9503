using System.Text.Json;
using System.Text.Json.Serialization;

namespace Crane.Contracts.Specs;

/// <summary>The one JSON shape of specs: camelCase, nulls omitted. Used by the API and by persistence.</summary>
public static class SpecJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize(WorkloadSpec spec) => JsonSerializer.Serialize(spec, Options);

    /// <summary>Reads JSON written by <see cref="Serialize"/>; not for user input (use SpecParser).</summary>
    public static WorkloadSpec Deserialize(string json) =>
        JsonSerializer.Deserialize<WorkloadSpec>(json, Options) ?? throw new JsonException("empty spec");
}
