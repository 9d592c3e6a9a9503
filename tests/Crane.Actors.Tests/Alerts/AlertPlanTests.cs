using Crane.Actors.Alerts;

namespace Crane.Actors.Tests.Alerts;

/// <summary>
/// AlertActions.Plan as a table. Labels are written "key=value" separated by spaces (alertname comes from its own
/// column); "-" in the expected workload or replica means null.
/// </summary>
public sealed class AlertPlanTests
{
    private static readonly DateTimeOffset StartsAt = new(2026, 11, 25, 15, 50, 22, 568, TimeSpan.Zero);

    internal static Alert MakeAlert(string alertname, string labels, AlertStatus status = AlertStatus.Firing)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal) { ["alertname"] = alertname };
        foreach (var pair in labels.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            map[pair[..eq]] = pair[(eq + 1)..];
        }
        return new Alert(status, map, new Dictionary<string, string>(), StartsAt, null, null, "cf29a335070229f5");
    }

    private static string? Dash(string text) => text == "-" ? null : text;

    [Theory]
    // label crane_action wins, whatever the alertname
    [InlineData("InstanceDown", "crane_action=restart workload=api replica=api-1", AlertAction.Restart, "api", "api-1", "InstanceDown → restart (label crane_action)")]
    [InlineData("Whatever", "crane_action=reschedule workload=api replica=api-1", AlertAction.Reschedule, "api", "api-1", "Whatever → reschedule (label crane_action)")]
    [InlineData("Whatever", "crane_action=scale_up workload=api", AlertAction.ScaleUp, "api", "-", "Whatever → scale_up (label crane_action)")]
    [InlineData("HighLatency", "crane_action=scale_down workload=api", AlertAction.ScaleDown, "api", "-", "HighLatency → scale_down (label crane_action)")]
    [InlineData("InstanceDown", "crane_action=none workload=api replica=api-1", AlertAction.None, "api", "api-1", "InstanceDown → none (label crane_action)")]
    [InlineData("CrashLooping", "crane_action=restart workload=api replica=api-1", AlertAction.Restart, "api", "api-1", "CrashLooping → restart (label crane_action)")]
    // an unknown crane_action does nothing rather than fall back to the default
    [InlineData("InstanceDown", "crane_action=reboot workload=api replica=api-1", AlertAction.None, "api", "api-1", "InstanceDown: unknown crane_action \"reboot\" (expected restart, reschedule, scale_up, scale_down or none), doing nothing")]
    [InlineData("InstanceDown", "crane_action=Restart workload=api replica=api-1", AlertAction.None, "api", "api-1", "InstanceDown: unknown crane_action \"Restart\" (expected restart, reschedule, scale_up, scale_down or none), doing nothing")]
    [InlineData("HighLatency", "crane_action=scale-up workload=api", AlertAction.None, "api", "-", "HighLatency: unknown crane_action \"scale-up\" (expected restart, reschedule, scale_up, scale_down or none), doing nothing")]
    // an empty label is no label (Prometheus drops them): the default applies
    [InlineData("InstanceDown", "crane_action= workload=api replica=api-1", AlertAction.Restart, "api", "api-1", "InstanceDown → restart (default for InstanceDown)")]
    // defaults per alertname
    [InlineData("InstanceDown", "workload=api replica=api-1", AlertAction.Restart, "api", "api-1", "InstanceDown → restart (default for InstanceDown)")]
    [InlineData("HighLatency", "workload=api replica=api-1", AlertAction.ScaleUp, "api", "-", "HighLatency → scale_up (default for HighLatency)")]
    [InlineData("ContainerCpuSaturated", "workload=api", AlertAction.ScaleUp, "api", "-", "ContainerCpuSaturated → scale_up (default for ContainerCpuSaturated)")]
    [InlineData("ContainerMemoryNearLimit", "workload=api replica=api-1", AlertAction.Restart, "api", "api-1", "ContainerMemoryNearLimit → restart (default for ContainerMemoryNearLimit)")]
    [InlineData("CrashLooping", "workload=api replica=api-1", AlertAction.None, "api", "api-1", "CrashLooping → none (default for CrashLooping)")]
    [InlineData("ReplicasUnavailable", "workload=api", AlertAction.None, "api", "-", "ReplicasUnavailable → none (default for ReplicasUnavailable)")]
    [InlineData("DiskFull", "workload=api replica=api-1", AlertAction.None, "api", "api-1", "DiskFull → none (no default for DiskFull; set label crane_action to act)")]
    [InlineData("instancedown", "workload=api replica=api-1", AlertAction.None, "api", "api-1", "instancedown → none (no default for instancedown; set label crane_action to act)")]
    // missing target labels
    [InlineData("InstanceDown", "workload=api", AlertAction.None, "api", "-", "InstanceDown → restart (default for InstanceDown), but restart needs labels workload and replica; replica is missing")]
    [InlineData("InstanceDown", "replica=api-1", AlertAction.None, "-", "api-1", "InstanceDown → restart (default for InstanceDown), but restart needs labels workload and replica; workload is missing")]
    [InlineData("InstanceDown", "", AlertAction.None, "-", "-", "InstanceDown → restart (default for InstanceDown), but restart needs labels workload and replica; both are missing")]
    [InlineData("InstanceDown", "workload=api replica=", AlertAction.None, "api", "-", "InstanceDown → restart (default for InstanceDown), but restart needs labels workload and replica; replica is missing")]
    [InlineData("X", "crane_action=reschedule replica=api-1", AlertAction.None, "-", "api-1", "X → reschedule (label crane_action), but reschedule needs labels workload and replica; workload is missing")]
    [InlineData("HighLatency", "replica=api-1", AlertAction.None, "-", "api-1", "HighLatency → scale_up (default for HighLatency), but scale_up needs label workload")]
    [InlineData("X", "crane_action=scale_down", AlertAction.None, "-", "-", "X → scale_down (label crane_action), but scale_down needs label workload")]
    // the real sample's labels
    [InlineData("InstanceDown", "crane_action=restart replica=api-service-7f3k2 severity=critical workload=api-service", AlertAction.Restart, "api-service", "api-service-7f3k2", "InstanceDown → restart (label crane_action)")]
    public void Plans_a_firing_alert(string alertname, string labels, AlertAction action, string workload, string replica, string reason)
    {
        var plan = AlertActions.Plan(MakeAlert(alertname, labels));

        Assert.Equal(new AlertPlan(action, Dash(workload), Dash(replica), reason), plan);
    }

    [Theory]
    [InlineData("InstanceDown", "crane_action=restart workload=api replica=api-1")]
    [InlineData("HighLatency", "workload=api")]
    [InlineData("CrashLooping", "")]
    [InlineData("X", "crane_action=bogus")]
    public void A_resolved_alert_never_acts(string alertname, string labels)
    {
        var alert = MakeAlert(alertname, labels, AlertStatus.Resolved);

        var plan = AlertActions.Plan(alert);

        Assert.Equal(AlertAction.None, plan.Action);
        Assert.Equal($"{alertname} resolved: resolved alerts do not act", plan.Reason);
    }

    [Fact]
    public void Plans_the_real_sample_as_a_restart_of_its_replica()
    {
        var alert = Assert.Single(AlertPayload.Parse(AlertPayloadTests.Sample).Payload!.Alerts);

        Assert.Equal(
            new AlertPlan(AlertAction.Restart, "api-service", "api-service-7f3k2", "InstanceDown → restart (label crane_action)"),
            AlertActions.Plan(alert));
    }

    [Theory]
    [InlineData("restart", AlertAction.Restart)]
    [InlineData("reschedule", AlertAction.Reschedule)]
    [InlineData("scale_up", AlertAction.ScaleUp)]
    [InlineData("scale_down", AlertAction.ScaleDown)]
    [InlineData("none", AlertAction.None)]
    public void Spells_every_action_as_its_label(string label, AlertAction action)
    {
        Assert.Equal(label, AlertActions.LabelOf(action));
        Assert.True(AlertActions.TryParseAction(label, out var parsed));
        Assert.Equal(action, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("RESTART")]
    [InlineData(" restart")]
    [InlineData("ScaleUp")]
    public void Rejects_other_spellings(string label)
    {
        Assert.False(AlertActions.TryParseAction(label, out _));
    }
}
