using YamlDotNet.RepresentationModel;
using static Crane.Actors.Tests.Monitoring.PrometheusConfigTests;

namespace Crane.Actors.Tests.Monitoring;

/// <summary>The alerting rules and the Alertmanager config Crane ships (deploy/), checked by the real promtool
/// (package prometheus) and amtool (package prometheus-alertmanager).</summary>
public sealed class ShippedRulesTests : IDisposable
{
    private static readonly string[] Alerts =
        ["InstanceDown", "HighLatency", "ContainerMemoryNearLimit", "ContainerCpuSaturated", "CrashLooping", "ReplicasUnavailable"];

    private readonly string _dir = Directory.CreateTempSubdirectory("crane-shipped-rules-").FullName;

    private static string RulesDir => Path.Combine(RepoRoot(), "deploy", "prometheus", "rules");

    private static string RulesFile => Path.Combine(RulesDir, "crane.rules.yml");

    private static string RulesTestFile => Path.Combine(RulesDir, "crane.rules.test.yml");

    private static string AlertmanagerFile => Path.Combine(RepoRoot(), "deploy", "alertmanager", "alertmanager.yml");

    [Fact]
    public async Task The_shipped_rules_pass_promtool_check_rules_without_warnings()
    {
        var (exitCode, output) = await Promtool("check", "rules", RulesFile);

        Assert.True(exitCode == 0, $"promtool check rules {RulesFile} failed: {output}");
        Assert.Contains($"SUCCESS: {Alerts.Length} rules found", output);
        Assert.DoesNotContain("WARNING", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_shipped_rules_pass_their_promtool_unit_tests()
    {
        var (exitCode, output) = await Promtool("test", "rules", RulesTestFile);

        Assert.True(exitCode == 0, $"promtool test rules {RulesTestFile} failed: {output}");
        Assert.Contains("SUCCESS", output);
        Assert.DoesNotContain("FAILED", output);
    }

    [Fact]
    public void Every_alert_has_a_severity_a_crane_action_a_summary_a_description_and_a_unit_test()
    {
        var group = (YamlMappingNode)Assert.Single(((YamlSequenceNode)Load(RulesFile)["groups"]).Children);
        Assert.Equal("crane", Scalar(group, "name"));
        var rules = ((YamlSequenceNode)group["rules"]).Children.Cast<YamlMappingNode>().ToList();

        Assert.Equal(Alerts, rules.Select(r => Scalar(r, "alert")));
        var tested = File.ReadAllText(RulesTestFile);
        foreach (var rule in rules)
        {
            var alert = Scalar(rule, "alert");
            var labels = (YamlMappingNode)rule["labels"];
            var annotations = (YamlMappingNode)rule["annotations"];
            Assert.True(Scalar(labels, "severity") is "critical" or "warning", $"{alert}: severity {Scalar(labels, "severity")}");
            Assert.True(Scalar(labels, "crane_action") is "restart" or "scale_up" or "none", $"{alert}: crane_action {Scalar(labels, "crane_action")}");
            Assert.False(string.IsNullOrWhiteSpace(Scalar(annotations, "summary")), $"{alert}: no summary");
            Assert.False(string.IsNullOrWhiteSpace(Scalar(annotations, "description")), $"{alert}: no description");
            Assert.False(string.IsNullOrWhiteSpace(Scalar(rule, "for")), $"{alert}: no for:");
            Assert.Contains($"alertname: {alert}\n", tested);
            Assert.Contains($"ALERTS{{alertname=\"{alert}\", alertstate=\"firing\"}}", tested);
        }
    }

    [Fact]
    public async Task The_shipped_alertmanager_config_passes_amtool_and_posts_every_alert_to_crane()
    {
        var (exitCode, output) = await Tool("amtool", "check-config", AlertmanagerFile);

        Assert.True(exitCode == 0, $"amtool check-config {AlertmanagerFile} failed: {output}");
        Assert.Contains("SUCCESS", output);

        var config = Load(AlertmanagerFile);
        var route = (YamlMappingNode)config["route"];
        Assert.Equal("crane", Scalar(route, "receiver"));
        Assert.Equal(["alertname", "workload", "replica"], ((YamlSequenceNode)route["group_by"]).Children.Select(n => ((YamlScalarNode)n).Value));
        var receiver = (YamlMappingNode)((YamlSequenceNode)config["receivers"]).Children.Single();
        Assert.Equal("crane", Scalar(receiver, "name"));
        var webhook = (YamlMappingNode)((YamlSequenceNode)receiver["webhook_configs"]).Children.Single();
        Assert.Equal("http://127.0.0.1:8080/api/v1/alerts", Scalar(webhook, "url"));
        Assert.Equal("true", Scalar(webhook, "send_resolved"));
    }

    [Fact]
    public async Task Promtool_rejects_a_rules_file_with_a_syntax_error()
    {
        var bad = Path.Combine(_dir, "bad.rules.yml");
        await File.WriteAllTextAsync(bad, """
            groups:
              - name: crane
                rules:
                  - alert: InstanceDown
                    expr: up{job="replicas" == 0
                    for: 1m
            """);

        var (exitCode, output) = await Promtool("check", "rules", bad);

        Assert.True(exitCode != 0, $"promtool accepted a broken rule: {output}");
        Assert.Contains("parse error", output);
    }

    [Fact]
    public async Task Amtool_rejects_a_route_to_an_unknown_receiver()
    {
        var bad = Path.Combine(_dir, "alertmanager.yml");
        await File.WriteAllTextAsync(bad, (await File.ReadAllTextAsync(AlertmanagerFile)).Replace("receiver: crane", "receiver: nowhere"));

        var (exitCode, output) = await Tool("amtool", "check-config", bad);

        Assert.True(exitCode != 0, $"amtool accepted a route to an unknown receiver: {output}");
        Assert.Contains("undefined receiver \"nowhere\"", output);
    }

    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
