using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Crane.Actors.Alerts;

/// <summary>Whether an alert (or, at the top of a payload, the group) is firing or resolved.</summary>
public enum AlertStatus { Firing, Resolved }

/// <summary>
/// One alert of a webhook payload. Labels always hold a non-empty alertname; EndsAt is null when Alertmanager sent
/// Go's zero time (0001-01-01T00:00:00Z), i.e. no end is known; GeneratorUrl is null when absent.
/// </summary>
public sealed record Alert(
    AlertStatus Status,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations,
    DateTimeOffset StartsAt,
    DateTimeOffset? EndsAt,
    string? GeneratorUrl,
    string Fingerprint)
{
    /// <summary>The alertname label: the name of the Prometheus rule that fired.</summary>
    public string Name => Labels[AlertPayload.AlertNameLabel];

    public bool Firing => Status == AlertStatus.Firing;
}

/// <summary>Either a valid webhook payload or the first error found in it.</summary>
public sealed record AlertParseResult(AlertPayload? Payload, string? Error)
{
    public bool Ok => Payload is not null;
}

/// <summary>
/// The body Alertmanager POSTs to a webhook receiver (payload version 4, Alertmanager 0.x). One payload is one
/// notification for one group: several alerts, each to be handled on its own by fingerprint and startsAt.
/// </summary>
/// <remarks>
/// Decisions:
/// <list type="bullet">
/// <item>Required: version ("4", a string as Alertmanager sends it), status, alerts (an array, possibly empty), and per
/// alert status, labels with a non-empty alertname, startsAt and a non-empty fingerprint. Everything else is optional
/// and defaults to empty: Alertmanager has added fields over versions and may add more.</item>
/// <item>Unknown fields are ignored at every level; a JSON null is the same as leaving the field out. Known fields with
/// the wrong type are errors, as are duplicate keys in any object (which of the two would count is ambiguous).</item>
/// <item>Label and annotation values must be strings (Go's map[string]string never sends anything else).</item>
/// <item>Timestamps are RFC 3339 with 'T' and a 'Z' or ±hh:mm offset; Go sends up to nine fractional digits, kept to
/// the 100 ns a DateTimeOffset holds. Go's zero time as endsAt means unset; as startsAt it is an error, because
/// startsAt identifies the incident.</item>
/// <item>The body is at most 1 MiB of UTF-8 (Alertmanager bodies are a few KiB; 1 MiB is thousands of alerts). The
/// HTTP endpoint should stop reading there too rather than buffer a larger body.</item>
/// <item>A string whose escapes make invalid UTF-16 (a lone <c>\uD800</c>) is "not JSON", like a syntax error.</item>
/// <item>Values and keys quoted in errors are cut to 64 characters, and the JSON reader's messages to 200, so an error
/// never echoes a large body.</item>
/// </list>
/// </remarks>
public sealed record AlertPayload(
    string Receiver,
    AlertStatus Status,
    IReadOnlyList<Alert> Alerts,
    IReadOnlyDictionary<string, string> GroupLabels,
    IReadOnlyDictionary<string, string> CommonLabels,
    IReadOnlyDictionary<string, string> CommonAnnotations,
    string? ExternalUrl,
    string Version,
    string? GroupKey,
    int TruncatedAlerts)
{
    /// <summary>The only payload version understood.</summary>
    public const string SupportedVersion = "4";

    /// <summary>The largest body accepted, in UTF-8 bytes: 1 MiB.</summary>
    public const int MaxBodyBytes = 1 << 20;

    internal const string AlertNameLabel = "alertname";

    private const int MaxQuoted = 64;

    // System.Text.Json quotes the offending text in its messages, up to a kilobyte of it.
    private const int MaxReaderMessage = 200;

    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        AllowDuplicateProperties = false,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
    };

    private static readonly IReadOnlyDictionary<string, string> NoLabels =
        new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Never throws: a malformed, oversized or invalid body comes back as <see cref="AlertParseResult.Error"/>.</summary>
    public static AlertParseResult Parse(string body)
    {
        if (body is { Length: > MaxBodyBytes })
            return Fail($"the body is too large: more than {MaxBodyBytes} bytes, at most {MaxBodyBytes}");
        if (string.IsNullOrWhiteSpace(body))
            return Fail("the body is empty");
        var bytes = Encoding.UTF8.GetByteCount(body);
        if (bytes > MaxBodyBytes)
            return Fail($"the body is too large: {bytes} bytes, at most {MaxBodyBytes}");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, JsonOptions);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            // InvalidOperationException: the duplicate-key check decodes a key whose escapes are a lone surrogate.
            return Fail(NotJson(e));
        }

        using (document)
        {
            try
            {
                return new AlertParseResult(ReadPayload(document.RootElement), null);
            }
            catch (AlertFormatException e)
            {
                return Fail(e.Message);
            }
            catch (InvalidOperationException e)
            {
                return Fail(NotJson(e));
            }
        }
    }

    private static AlertParseResult Fail(string error) => new(null, error);

    /// <summary>The reader's message, cut so it never echoes much of the body, keeping the position it ends with.</summary>
    private static string NotJson(Exception e)
    {
        if (e.Message.Length <= MaxReaderMessage)
            return $"not JSON: {e.Message}";
        var position = e is JsonException { LineNumber: { } line, BytePositionInLine: { } at }
            ? $" LineNumber: {line} | BytePositionInLine: {at}."
            : "";
        return $"not JSON: {e.Message[..MaxReaderMessage]}…{position}";
    }

    private static AlertPayload ReadPayload(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new AlertFormatException($"the body must be a JSON object, got {Describe(root)}");

        var version = Required(root, "version", "version");
        if (version.ValueKind != JsonValueKind.String || version.GetString() != SupportedVersion)
            throw new AlertFormatException($"version must be \"{SupportedVersion}\", got {Describe(version)}");

        var status = ReadStatus(Required(root, "status", "status"), "status");

        var alertsNode = Required(root, "alerts", "alerts");
        if (alertsNode.ValueKind != JsonValueKind.Array)
            throw new AlertFormatException($"alerts must be an array, got {Describe(alertsNode)}");
        var alerts = new List<Alert>(alertsNode.GetArrayLength());
        var index = 0;
        foreach (var node in alertsNode.EnumerateArray())
            alerts.Add(ReadAlert(node, $"alerts[{index++}]"));

        return new AlertPayload(
            Receiver: OptionalString(root, "receiver", "receiver") ?? "",
            Status: status,
            Alerts: alerts,
            GroupLabels: StringMap(root, "groupLabels", "groupLabels"),
            CommonLabels: StringMap(root, "commonLabels", "commonLabels"),
            CommonAnnotations: StringMap(root, "commonAnnotations", "commonAnnotations"),
            ExternalUrl: OptionalString(root, "externalURL", "externalURL"),
            Version: SupportedVersion,
            GroupKey: OptionalString(root, "groupKey", "groupKey"),
            TruncatedAlerts: ReadTruncated(root));
    }

    private static Alert ReadAlert(JsonElement node, string path)
    {
        if (node.ValueKind != JsonValueKind.Object)
            throw new AlertFormatException($"{path} must be an object, got {Describe(node)}");

        var status = ReadStatus(Required(node, "status", $"{path}.status"), $"{path}.status");

        if (Optional(node, "labels") is null)
            throw new AlertFormatException($"{path}.labels is required");
        var labels = StringMap(node, "labels", $"{path}.labels");
        if (!labels.TryGetValue(AlertNameLabel, out var alertName))
            throw new AlertFormatException($"{path}.labels.{AlertNameLabel} is required");
        if (string.IsNullOrWhiteSpace(alertName))
            throw new AlertFormatException($"{path}.labels.{AlertNameLabel} must not be empty");

        var startsAt = ReadTime(Required(node, "startsAt", $"{path}.startsAt"), $"{path}.startsAt")
            ?? throw new AlertFormatException($"{path}.startsAt must be set, got {Rfc3339.ZeroTime}");
        var endsAt = Optional(node, "endsAt") is { } endsNode ? ReadTime(endsNode, $"{path}.endsAt") : null;

        var fingerprint = Required(node, "fingerprint", $"{path}.fingerprint");
        if (fingerprint.ValueKind != JsonValueKind.String)
            throw new AlertFormatException($"{path}.fingerprint must be a string, got {Describe(fingerprint)}");
        var fingerprintText = fingerprint.GetString()!;
        if (string.IsNullOrWhiteSpace(fingerprintText))
            throw new AlertFormatException($"{path}.fingerprint must not be empty");

        return new Alert(
            status,
            labels,
            StringMap(node, "annotations", $"{path}.annotations"),
            startsAt,
            endsAt,
            OptionalString(node, "generatorURL", $"{path}.generatorURL"),
            fingerprintText);
    }

    private static AlertStatus ReadStatus(JsonElement node, string path) =>
        node.ValueKind == JsonValueKind.String
            ? node.GetString() switch
            {
                "firing" => AlertStatus.Firing,
                "resolved" => AlertStatus.Resolved,
                _ => throw new AlertFormatException($"{path} must be firing or resolved, got {Describe(node)}"),
            }
            : throw new AlertFormatException($"{path} must be firing or resolved, got {Describe(node)}");

    private static DateTimeOffset? ReadTime(JsonElement node, string path)
    {
        if (node.ValueKind != JsonValueKind.String || !Rfc3339.TryParse(node.GetString()!, out var time))
            throw new AlertFormatException($"{path} must be an RFC 3339 timestamp, got {Describe(node)}");
        return time.UtcTicks == 0 ? null : time;
    }

    private static int ReadTruncated(JsonElement root)
    {
        if (Optional(root, "truncatedAlerts") is not { } node)
            return 0;
        if (node.ValueKind != JsonValueKind.Number || !node.TryGetInt32(out var n) || n < 0)
            throw new AlertFormatException($"truncatedAlerts must be a non-negative integer, got {Describe(node)}");
        return n;
    }

    private static JsonElement? Optional(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static JsonElement Required(JsonElement obj, string name, string path) =>
        Optional(obj, name) ?? throw new AlertFormatException($"{path} is required");

    private static string? OptionalString(JsonElement obj, string name, string path)
    {
        if (Optional(obj, name) is not { } node)
            return null;
        if (node.ValueKind != JsonValueKind.String)
            throw new AlertFormatException($"{path} must be a string, got {Describe(node)}");
        return node.GetString();
    }

    private static IReadOnlyDictionary<string, string> StringMap(JsonElement obj, string name, string path)
    {
        if (Optional(obj, name) is not { } node)
            return NoLabels;
        if (node.ValueKind != JsonValueKind.Object)
            throw new AlertFormatException($"{path} must be an object, got {Describe(node)}");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in node.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
                throw new AlertFormatException($"{path}.{Cut(property.Name)} must be a string, got {Describe(property.Value)}");
            map[property.Name] = property.Value.GetString()!;
        }
        return map;
    }

    private static string Describe(JsonElement node) => node.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => Quote(node.GetString()!),
        _ => Cut(node.GetRawText()),
    };

    private static string Quote(string text) => $"\"{Cut(text)}\"";

    private static string Cut(string text) => text.Length <= MaxQuoted ? text : text[..MaxQuoted] + "…";

    private sealed class AlertFormatException(string message) : Exception(message);
}

/// <summary>RFC 3339 timestamps as Go writes them (time.RFC3339Nano): parsing with up to nine fractional digits, and formatting in UTC.</summary>
internal static partial class Rfc3339
{
    public const string ZeroTime = "0001-01-01T00:00:00Z";

    [GeneratedRegex(@"^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool TryParse(string text, out DateTimeOffset time)
    {
        time = default;
        var m = Pattern().Match(text);
        if (!m.Success)
            return false;

        int Part(int group) => int.Parse(m.Groups[group].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);

        var fraction = m.Groups[7].Value;
        var ticks = fraction.Length == 0 ? 0 : int.Parse(fraction.Length > 7 ? fraction[..7] : fraction.PadRight(7, '0'), NumberStyles.None, CultureInfo.InvariantCulture);

        var offset = TimeSpan.Zero;
        if (!m.Groups[8].Success)
        {
            int hours = Part(10), minutes = Part(11);
            if (hours > 23 || minutes > 59)
                return false;
            offset = new TimeSpan(hours, minutes, 0);
            if (m.Groups[9].Value == "-")
                offset = -offset;
        }

        try
        {
            time = new DateTimeOffset(Part(1), Part(2), Part(3), Part(4), Part(5), Part(6), offset).AddTicks(ticks);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
