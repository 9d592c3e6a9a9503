using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Crane.Contracts.Messages;

namespace Crane.Actors.Hosting;

/// <summary>
/// Serializes every <see cref="IWireMessage"/> as System.Text.Json with the type name as manifest.
/// Interface-typed collections come back as List/Dictionary whatever the sender built them from
/// (the default Newtonsoft serializer records compiler-generated collection types and fails on them).
/// </summary>
public sealed class CraneJsonSerializer : SerializerWithStringManifest
{
    public const int Id = 4711;

    private readonly JsonSerializerOptions _options;
    private readonly ConcurrentDictionary<string, Type> _types = new(StringComparer.Ordinal);

    public CraneJsonSerializer(ExtendedActorSystem system) : base(system)
    {
        _options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Converters = { new JsonStringEnumConverter(), new ActorRefConverter(system) },
        };
    }

    public override int Identifier => Id;

    public override string Manifest(object o) => o.GetType().FullName!;

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _options);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var type = _types.GetOrAdd(manifest, m => typeof(IWireMessage).Assembly.GetType(m)
            ?? throw new System.Runtime.Serialization.SerializationException($"unknown Crane message type {m}"));
        return JsonSerializer.Deserialize(bytes, type, _options) ?? throw new System.Runtime.Serialization.SerializationException($"empty {manifest}");
    }

    private sealed class ActorRefConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
    {
        public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            system.Provider.ResolveActorRef(reader.GetString()!);

        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
    }
}
