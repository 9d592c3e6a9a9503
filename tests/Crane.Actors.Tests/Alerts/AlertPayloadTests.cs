using System.Text.Json.Nodes;
using Crane.Actors.Alerts;

namespace Crane.Actors.Tests.Alerts;

/// <summary>
/// AlertPayload.Parse against the body Alertmanager 0.25 really sent (/work/shared/samples/alertmanager-webhook-firing.json,
/// copied byte for byte) and variants of it edited as JSON trees.
/// </summary>
public sealed class AlertPayloadTests
{
    internal const string Sample = """
        {"receiver":"crane","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"InstanceDown","crane_action":"restart","replica":"api-service-7f3k2","severity":"critical","workload":"api-service"},"annotations":{"summary":"Replica api-service-7f3k2 is down"},"startsAt":"2026-11-25T15:50:22.568Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://vm:19090/graph?g0.expr=vector%281%29\u0026g0.tab=1","fingerprint":"cf29a335070229f5"}],"groupLabels":{"alertname":"InstanceDown","workload":"api-service"},"commonLabels":{"alertname":"InstanceDown","crane_action":"restart","replica":"api-service-7f3k2","severity":"critical","workload":"api-service"},"commonAnnotations":{"summary":"Replica api-service-7f3k2 is down"},"externalURL":"http://vm:19093","version":"4","groupKey":"{}:{alertname=\"InstanceDown\", workload=\"api-service\"}","truncatedAlerts":0}
        """;

    private static readonly DateTimeOffset SampleStart = new(2026, 11, 25, 15, 50, 22, 568, TimeSpan.Zero);

    private static readonly Dictionary<string, string> SampleLabels = new()
    {
        ["alertname"] = "InstanceDown",
        ["crane_action"] = "restart",
        ["replica"] = "api-service-7f3k2",
        ["severity"] = "critical",
        ["workload"] = "api-service",
    };

    private static JsonObject Tree() => JsonNode.Parse(Sample)!.AsObject();

    private static JsonObject FirstAlert(JsonObject tree) => tree["alerts"]![0]!.AsObject();

    private static string Edit(Action<JsonObject> edit)
    {
        var tree = Tree();
        edit(tree);
        return tree.ToJsonString();
    }

    private static string EditAlert(Action<JsonObject> edit) => Edit(t => edit(FirstAlert(t)));

    private static string TwoAlerts(Action<JsonObject> editSecond) => Edit(t =>
    {
        var second = FirstAlert(t).DeepClone().AsObject();
        second["fingerprint"] = "0123456789abcdef";
        editSecond(second);
        t["alerts"]!.AsArray().Add(second);
    });

    private static AlertPayload ParseOk(string body)
    {
        var result = AlertPayload.Parse(body);
        Assert.True(result.Ok, result.Error);
        Assert.Null(result.Error);
        return result.Payload!;
    }

    [Fact]
    public void Parses_the_real_alertmanager_sample_field_by_field()
    {
        var p = ParseOk(Sample);

        Assert.Equal("crane", p.Receiver);
        Assert.Equal(AlertStatus.Firing, p.Status);
        Assert.Equal("4", p.Version);
        Assert.Equal("http://vm:19093", p.ExternalUrl);
        Assert.Equal("{}:{alertname=\"InstanceDown\", workload=\"api-service\"}", p.GroupKey);
        Assert.Equal(0, p.TruncatedAlerts);
        Assert.Equal(new Dictionary<string, string> { ["alertname"] = "InstanceDown", ["workload"] = "api-service" }, p.GroupLabels);
        Assert.Equal(SampleLabels, p.CommonLabels);
        Assert.Equal(new Dictionary<string, string> { ["summary"] = "Replica api-service-7f3k2 is down" }, p.CommonAnnotations);

        var a = Assert.Single(p.Alerts);
        Assert.Equal(AlertStatus.Firing, a.Status);
        Assert.True(a.Firing);
        Assert.Equal("InstanceDown", a.Name);
        Assert.Equal(SampleLabels, a.Labels);
        Assert.Equal(new Dictionary<string, string> { ["summary"] = "Replica api-service-7f3k2 is down" }, a.Annotations);
        Assert.Equal(SampleStart, a.StartsAt);
        Assert.Equal(TimeSpan.Zero, a.StartsAt.Offset);
        Assert.Null(a.EndsAt);
        Assert.Equal("http://vm:19090/graph?g0.expr=vector%281%29&g0.tab=1", a.GeneratorUrl);
        Assert.Equal("cf29a335070229f5", a.Fingerprint);
    }

    [Fact]
    public void Parses_a_resolved_notification_with_its_end()
    {
        var body = Edit(t =>
        {
            t["status"] = "resolved";
            FirstAlert(t)["status"] = "resolved";
            FirstAlert(t)["endsAt"] = "2026-11-25T15:55:37.568Z";
        });

        var p = ParseOk(body);

        Assert.Equal(AlertStatus.Resolved, p.Status);
        var a = Assert.Single(p.Alerts);
        Assert.Equal(AlertStatus.Resolved, a.Status);
        Assert.False(a.Firing);
        Assert.Equal(SampleStart, a.StartsAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 15, 55, 37, 568, TimeSpan.Zero), a.EndsAt);
    }

    [Fact]
    public void Parses_several_alerts_in_order_each_with_its_own_status()
    {
        var body = Edit(t =>
        {
            var alerts = t["alerts"]!.AsArray();
            var template = alerts[0]!;
            alerts.Clear();
            foreach (var (replica, status, fingerprint) in new[] { ("api-1", "firing", "aaaa"), ("api-2", "resolved", "bbbb"), ("api-3", "firing", "cccc") })
            {
                var a = template.DeepClone().AsObject();
                a["labels"]!["replica"] = replica;
                a["status"] = status;
                a["fingerprint"] = fingerprint;
                alerts.Add(a);
            }
        });

        var p = ParseOk(body);

        Assert.Equal(["api-1", "api-2", "api-3"], p.Alerts.Select(a => a.Labels["replica"]));
        Assert.Equal([AlertStatus.Firing, AlertStatus.Resolved, AlertStatus.Firing], p.Alerts.Select(a => a.Status));
        Assert.Equal(["aaaa", "bbbb", "cccc"], p.Alerts.Select(a => a.Fingerprint));
    }

    [Fact]
    public void Accepts_unknown_fields_at_every_level()
    {
        var body = Edit(t =>
        {
            t["newTopLevelField"] = new JsonObject { ["nested"] = new JsonArray(1, "two", null, true) };
            t["orgId"] = 7;
            FirstAlert(t)["silenceURL"] = "http://vm:19093/#/silences/new";
            FirstAlert(t)["valueString"] = "[ var='A' labels={} value=1 ]";
            FirstAlert(t)["values"] = new JsonObject { ["A"] = 1.5 };
        });

        var p = ParseOk(body);

        Assert.Equal("cf29a335070229f5", Assert.Single(p.Alerts).Fingerprint);
    }

    [Fact]
    public void Needs_only_the_required_fields_and_reads_null_as_absent()
    {
        const string body = """
            {"version":"4","status":"firing","receiver":null,"groupLabels":null,"alerts":[
              {"status":"firing","labels":{"alertname":"X"},"annotations":null,"endsAt":null,"startsAt":"2026-01-02T03:04:05Z","fingerprint":"f"}]}
            """;

        var p = ParseOk(body);

        Assert.Equal("", p.Receiver);
        Assert.Empty(p.GroupLabels);
        Assert.Empty(p.CommonLabels);
        Assert.Empty(p.CommonAnnotations);
        Assert.Null(p.ExternalUrl);
        Assert.Null(p.GroupKey);
        Assert.Equal(0, p.TruncatedAlerts);
        var a = Assert.Single(p.Alerts);
        Assert.Empty(a.Annotations);
        Assert.Null(a.EndsAt);
        Assert.Null(a.GeneratorUrl);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), a.StartsAt);
    }

    [Fact]
    public void Accepts_an_empty_group()
    {
        var p = ParseOk("""{"version":"4","status":"resolved","alerts":[]}""");

        Assert.Empty(p.Alerts);
    }

    [Fact]
    public void Accepts_a_body_of_exactly_one_mebibyte()
    {
        const string prefix = "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[],\"pad\":\"";
        var body = prefix + new string('x', AlertPayload.MaxBodyBytes - prefix.Length - 2) + "\"}";
        Assert.Equal(AlertPayload.MaxBodyBytes, body.Length);

        ParseOk(body);
    }

    [Fact]
    public void Counts_the_limit_in_utf8_bytes_not_characters()
    {
        var body = "{\"version\":\"4\",\"status\":\"firing\",\"alerts\":[],\"pad\":\"" + new string('é', 600_000) + "\"}";
        Assert.True(body.Length < AlertPayload.MaxBodyBytes);

        var result = AlertPayload.Parse(body);

        Assert.False(result.Ok);
        Assert.Equal($"the body is too large: {body.Length + 600_000} bytes, at most 1048576", result.Error);
    }

    public static TheoryData<string, string, string> Invalid => new()
    {
        { "empty", "", "the body is empty" },
        { "blank", " \n ", "the body is empty" },
        { "too many characters", new string(' ', AlertPayload.MaxBodyBytes + 1), "the body is too large: more than 1048576 bytes, at most 1048576" },
        { "one byte too many", "{\"pad\":\"" + new string('x', AlertPayload.MaxBodyBytes - 9) + "\"}", "the body is too large: more than 1048576 bytes, at most 1048576" },
        { "array", "[]", "the body must be a JSON object, got an array" },
        { "null", "null", "the body must be a JSON object, got null" },
        { "string", "\"hello\"", "the body must be a JSON object, got \"hello\"" },
        { "version missing", Edit(t => t.Remove("version")), "version is required" },
        { "version null", Edit(t => t["version"] = null), "version is required" },
        { "version 3", Edit(t => t["version"] = "3"), "version must be \"4\", got \"3\"" },
        { "version as number", Edit(t => t["version"] = 4), "version must be \"4\", got 4" },
        { "long value cut", Edit(t => t["version"] = new string('v', 100)), $"version must be \"4\", got \"{new string('v', 64)}…\"" },
        { "status missing", Edit(t => t.Remove("status")), "status is required" },
        { "status upper case", Edit(t => t["status"] = "FIRING"), "status must be firing or resolved, got \"FIRING\"" },
        { "status as bool", Edit(t => t["status"] = true), "status must be firing or resolved, got true" },
        { "receiver not a string", Edit(t => t["receiver"] = new JsonObject()), "receiver must be a string, got an object" },
        { "externalURL not a string", Edit(t => t["externalURL"] = 1), "externalURL must be a string, got 1" },
        { "groupKey not a string", Edit(t => t["groupKey"] = new JsonArray()), "groupKey must be a string, got an array" },
        { "groupLabels not an object", Edit(t => t["groupLabels"] = "x"), "groupLabels must be an object, got \"x\"" },
        { "commonLabels value not a string", Edit(t => t["commonLabels"]!["severity"] = 2), "commonLabels.severity must be a string, got 2" },
        { "commonAnnotations value null", Edit(t => t["commonAnnotations"]!["summary"] = null), "commonAnnotations.summary must be a string, got null" },
        { "truncatedAlerts negative", Edit(t => t["truncatedAlerts"] = -1), "truncatedAlerts must be a non-negative integer, got -1" },
        { "truncatedAlerts fraction", Edit(t => t["truncatedAlerts"] = 1.5), "truncatedAlerts must be a non-negative integer, got 1.5" },
        { "truncatedAlerts as string", Edit(t => t["truncatedAlerts"] = "2"), "truncatedAlerts must be a non-negative integer, got \"2\"" },
        { "alerts missing", Edit(t => t.Remove("alerts")), "alerts is required" },
        { "alerts null", Edit(t => t["alerts"] = null), "alerts is required" },
        { "alerts an object", Edit(t => t["alerts"] = new JsonObject()), "alerts must be an array, got an object" },
        { "alert not an object", Edit(t => t["alerts"]!.AsArray().Add("x")), "alerts[1] must be an object, got \"x\"" },
        { "alert status missing", EditAlert(a => a.Remove("status")), "alerts[0].status is required" },
        { "alert status pending", EditAlert(a => a["status"] = "pending"), "alerts[0].status must be firing or resolved, got \"pending\"" },
        { "labels missing", EditAlert(a => a.Remove("labels")), "alerts[0].labels is required" },
        { "labels null", EditAlert(a => a["labels"] = null), "alerts[0].labels is required" },
        { "labels an array", EditAlert(a => a["labels"] = new JsonArray()), "alerts[0].labels must be an object, got an array" },
        { "label value a number", EditAlert(a => a["labels"]!["severity"] = 3), "alerts[0].labels.severity must be a string, got 3" },
        { "alertname missing in the second alert", TwoAlerts(a => a["labels"]!.AsObject().Remove("alertname")), "alerts[1].labels.alertname is required" },
        { "alertname empty", EditAlert(a => a["labels"]!["alertname"] = ""), "alerts[0].labels.alertname must not be empty" },
        { "annotations not an object", EditAlert(a => a["annotations"] = "x"), "alerts[0].annotations must be an object, got \"x\"" },
        { "annotation value null", EditAlert(a => a["annotations"]!["summary"] = null), "alerts[0].annotations.summary must be a string, got null" },
        { "startsAt missing", EditAlert(a => a.Remove("startsAt")), "alerts[0].startsAt is required" },
        { "startsAt not a time", EditAlert(a => a["startsAt"] = "yesterday"), "alerts[0].startsAt must be an RFC 3339 timestamp, got \"yesterday\"" },
        { "startsAt without zone", EditAlert(a => a["startsAt"] = "2026-11-25T15:50:22.568"), "alerts[0].startsAt must be an RFC 3339 timestamp, got \"2026-11-25T15:50:22.568\"" },
        { "startsAt as epoch", EditAlert(a => a["startsAt"] = 1764085822), "alerts[0].startsAt must be an RFC 3339 timestamp, got 1764085822" },
        { "startsAt zero", EditAlert(a => a["startsAt"] = "0001-01-01T00:00:00Z"), "alerts[0].startsAt must be set, got 0001-01-01T00:00:00Z" },
        { "endsAt not a time", EditAlert(a => a["endsAt"] = "soon"), "alerts[0].endsAt must be an RFC 3339 timestamp, got \"soon\"" },
        { "generatorURL not a string", EditAlert(a => a["generatorURL"] = 1), "alerts[0].generatorURL must be a string, got 1" },
        { "fingerprint missing", EditAlert(a => a.Remove("fingerprint")), "alerts[0].fingerprint is required" },
        { "fingerprint empty", EditAlert(a => a["fingerprint"] = ""), "alerts[0].fingerprint must not be empty" },
        { "fingerprint a number", EditAlert(a => a["fingerprint"] = 12), "alerts[0].fingerprint must be a string, got 12" },
        // Found by Sample_with_values_replaced_parses_or_fails_clearly: a 10000-character label key was echoed whole.
        { "long key cut", Edit(t => t["commonLabels"]![new string('k', 10_000)] = 1), $"commonLabels.{new string('k', 64)}… must be a string, got 1" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Rejects_an_invalid_body_naming_the_field(string @case, string body, string error)
    {
        var result = AlertPayload.Parse(body);

        Assert.False(result.Ok, @case);
        Assert.Null(result.Payload);
        Assert.Equal(error, result.Error);
    }

    public static TheoryData<string, string> NotJson => new()
    {
        { "truncated", Sample[..^10] },
        { "trailing comma", """{"version":"4",}""" },
        { "comment", """{"version":"4" /* four */}""" },
        { "duplicate key", """{"version":"4","status":"firing","status":"resolved","alerts":[]}""" },
        { "duplicate label", """{"version":"4","status":"firing","alerts":[{"labels":{"alertname":"A","alertname":"B"}}]}""" },
        { "nested too deep", """{"version":"4","status":"firing","alerts":[],"x":""" + new string('[', 100) + new string(']', 100) + "}" },
        { "escaped lone surrogate", """{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"\uD800"},"startsAt":"2026-01-01T00:00:00Z","fingerprint":"f"}]}""" },
        // Found by Mutated_sample_text_parses_or_fails_clearly: the reader quoted over 1000 characters of the body in its message.
        { "long invalid literal", """{"version":"4","status":"firing","alerts":[],"x":t""" + new string('y', 5000) + "}" },
        // Found by Mutated_sample_text_parses_or_fails_clearly: the duplicate-key check threw InvalidOperationException out of Parse.
        { "escaped lone surrogate in a key", """{"version":"4","status":"firing","alerts":[],"groupLabels":{"work\ud800load":"a"}}""" },
    };

    [Theory]
    [MemberData(nameof(NotJson))]
    public void Rejects_what_is_not_json_without_throwing(string @case, string body)
    {
        var result = AlertPayload.Parse(body);

        Assert.False(result.Ok, @case);
        Assert.StartsWith("not JSON: ", result.Error);
        Assert.True(result.Error!.Length < 300, result.Error);
    }

    [Theory]
    [InlineData("2026-11-25T15:50:22Z", "2026-11-25T15:50:22.0000000+00:00")]
    [InlineData("2026-11-25T15:50:22.568Z", "2026-11-25T15:50:22.5680000+00:00")]
    [InlineData("2026-11-25T15:50:22.123456789Z", "2026-11-25T15:50:22.1234567+00:00")]
    [InlineData("2026-11-25T16:50:22.5+01:00", "2026-11-25T16:50:22.5000000+01:00")]
    [InlineData("2026-11-25T10:20:22-05:30", "2026-11-25T10:20:22.0000000-05:30")]
    [InlineData("2026-11-25t15:50:22z", "2026-11-25T15:50:22.0000000+00:00")]
    [InlineData("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.0000000+00:00")]
    public void Reads_rfc3339_as_go_writes_it(string text, string expected)
    {
        Assert.True(Rfc3339.TryParse(text, out var time));
        Assert.Equal(expected, time.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("2026-11-25 15:50:22Z")]
    [InlineData("2026-11-25T15:50:22")]
    [InlineData("2026-11-25T15:50Z")]
    [InlineData("2026-11-25T15:50:22.Z")]
    [InlineData("2026-11-25T15:50:22.1234567890Z")]
    [InlineData("2026-11-25T15:50:22+0100")]
    [InlineData("2026-11-25T15:50:22+24:00")]
    [InlineData("2026-11-25T15:50:22+15:00")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("2025-02-29T00:00:00Z")]
    [InlineData("2026-11-25T24:00:00Z")]
    [InlineData("2026-11-25T23:59:60Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("0001-01-01T00:00:00+01:00")]
    [InlineData("2026-11-25T15:50:22Z\n")]
    [InlineData(" 2026-11-25T15:50:22Z")]
    [InlineData("٢٠٢٦-11-25T15:50:22Z")]
    public void Rejects_what_is_not_rfc3339(string text)
    {
        Assert.False(Rfc3339.TryParse(text, out _));
    }

    [Fact]
    public void Reads_go_zero_time_with_a_fraction_as_unset_end()
    {
        var p = ParseOk(EditAlert(a => a["endsAt"] = "0001-01-01T00:00:00.000Z"));

        Assert.Null(Assert.Single(p.Alerts).EndsAt);
    }
}
