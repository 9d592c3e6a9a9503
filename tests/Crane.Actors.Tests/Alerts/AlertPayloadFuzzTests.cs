using System.Text.Json.Nodes;
using Crane.Actors.Alerts;
using Crane.Testing.Fuzzing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Crane.Actors.Tests.Alerts;

/// <summary>
/// Properties over AlertPayload.Parse with a fixed seed and case count, starting from the body Alertmanager really sent
/// (<see cref="AlertPayloadTests.Sample"/>): whatever arrives, the parser returns a payload or a short error within
/// <see cref="TextFuzz.Limit"/>, never an exception.
/// </summary>
public sealed class AlertPayloadFuzzTests
{
    private const string Replay = "(20260514, 977)";

    /// <summary>Errors quote at most 64 characters of a value; 1 KiB leaves room for the path and the words around it.</summary>
    private const int MaxErrorLength = 1024;

    private static readonly string[] Valid =
    [
        AlertPayloadTests.Sample,
        AlertPayloadTests.Sample.Replace("\"firing\"", "\"resolved\"").Replace("0001-01-01T00:00:00Z", "2026-11-25T15:55:37.123456789+14:00"),
    ];

    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\\"", "\\u0000", "\\u0007", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\n",
        "null", "true", "false", "-0", "1e999", "-1", "2147483648", "0.5", "NaN", "{}", "[]", "\"\"", "\"firing\"", "\"4\"",
        "\"alerts\":", "\"labels\":", "\"alertname\":", "\"startsAt\":", "\"0001-01-01T00:00:00Z\"", "\"9999-12-31T23:59:59.9999999-14:00\"",
        "\"0000-01-01T00:00:00Z\"", "\"2026-02-30T00:00:00Z\"", "\"2026-01-01T24:00:60+23:59\"", "/*", "//", "\ufeff", " ", "\n",
    ];

    [Property(MaxTest = 1500, Replay = Replay, QuietOnSuccess = true)]
    public Property Mutated_sample_text_parses_or_fails_clearly() =>
        Prop.ForAll(TextFuzz.Mutations(Valid, Tokens), ParsesOrFailsClearly);

    [Property(MaxTest = 1500, Replay = Replay, QuietOnSuccess = true)]
    public Property Sample_with_values_replaced_parses_or_fails_clearly() =>
        Prop.ForAll(Arb.From(TreeEdits), ParsesOrFailsClearly);

    [Property(MaxTest = 1000, Replay = Replay, QuietOnSuccess = true)]
    public Property Random_text_parses_or_fails_clearly() =>
        Prop.ForAll(TextFuzz.RandomText(Tokens), ParsesOrFailsClearly);

    /// <summary>Timestamps with every part at or past its range: year 0, month 13, hour 24, offsets past ±14:00, 9 digits.</summary>
    private static Gen<string> Timestamps =>
        from year in Gen.Elements(0, 1, 1970, 2026, 9999)
        from month in Gen.Choose(0, 13)
        from day in Gen.Choose(0, 32)
        from hour in Gen.Choose(0, 24)
        from minute in Gen.Elements(0, 59, 60)
        from second in Gen.Elements(0, 59, 60, 61)
        from digits in Gen.Choose(0, 9)
        from zone in Gen.Elements("Z", "z", "+00:00", "-14:00", "+14:00", "+14:01", "-23:59", "+99:99", "")
        select $"{year:D4}-{month:D2}-{day:D2}T{hour:D2}:{minute:D2}:{second:D2}{(digits == 0 ? "" : "." + new string('9', digits))}{zone}";

    private static Gen<Func<JsonNode?>> Values => Gen.OneOf(
        Gen.Elements<Func<JsonNode?>>(
            () => null, () => true, () => 0, () => -1, () => 1.5, () => int.MaxValue + 1L, () => JsonNode.Parse("1e999"),
            () => "", () => " ", () => "firing", () => "resolved", () => "4", () => "\0", () => "a\u0007b", () => "\uD800",
            () => new string('x', 100_000), () => new JsonObject(), () => new JsonArray(), () => new JsonObject { [new string('k', 10_000)] = 1 },
            () => JsonNode.Parse(new string('[', 60) + new string(']', 60))),
        Timestamps.Select<string, Func<JsonNode?>>(t => () => t));

    private static Gen<FuzzInput> TreeEdits =>
        from source in Gen.Choose(0, Valid.Length - 1)
        from at in Gen.Choose(0, 9_999)
        from op in Gen.Elements("replace", "remove", "repeat")
        from value in Values
        select Edited(source, at / 10_000.0, op, value);

    /// <summary>Replaces or removes the value at one place in the tree (chosen by <paramref name="at"/>), or repeats it 1000 times.</summary>
    private static FuzzInput Edited(int source, double at, string op, Func<JsonNode?> value)
    {
        var tree = JsonNode.Parse(Valid[source])!;
        var places = Places(tree).ToList();
        var (parent, key, index) = places[(int)(at * places.Count)];
        switch (op, parent)
        {
            case ("remove", JsonObject o):
                o.Remove(key!);
                break;
            case ("remove", JsonArray a):
                a.RemoveAt(index);
                break;
            case ("repeat", JsonArray a):
                for (var i = 0; i < 1000; i++)
                    a.Add(a[index]?.DeepClone());
                break;
            case (_, JsonObject o):
                o[key!] = value();
                break;
            case (_, JsonArray a):
                a[index] = value();
                break;
        }
        var text = tree.ToJsonString();
        return new FuzzInput(text, $"valid[{source}] {op} at {at}");
    }

    private static IEnumerable<(JsonNode Parent, string? Key, int Index)> Places(JsonNode node) => node switch
    {
        JsonObject o => o.SelectMany(p => Places(p.Value!).Prepend((o, p.Key, -1))).ToList(),
        JsonArray a => a.SelectMany((item, i) => Places(item!).Prepend((a, null, i))).ToList(),
        _ => [],
    };

    private static void ParsesOrFailsClearly(FuzzInput input)
    {
        var result = TextFuzz.Within(() => AlertPayload.Parse(input.Text), input);
        if (result.Payload is { } payload)
        {
            Assert.Null(result.Error);
            Assert.Equal(AlertPayload.SupportedVersion, payload.Version);
            Assert.All(payload.Alerts, a => Assert.False(string.IsNullOrWhiteSpace(a.Name) || string.IsNullOrWhiteSpace(a.Fingerprint)));
            return;
        }

        Assert.False(string.IsNullOrWhiteSpace(result.Error));
        if (result.Error.Length > MaxErrorLength)
            Assert.Fail($"a {result.Error.Length}-character error: {result.Error[..200]}…");
    }
}
