using Crane.Actors.Alerts;

namespace Crane.Actors.Tests.Alerts;

/// <summary>
/// AlertLedger as sequences of deliveries at explicit times (T0 plus seconds), threading each decision's Next into the
/// following one as the alert actor will.
/// </summary>
public sealed class AlertLedgerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 15, 50, 30, TimeSpan.Zero);
    private static readonly DateTimeOffset Started = new(2026, 11, 25, 15, 50, 22, 568, TimeSpan.Zero);
    private static readonly TimeSpan Interval = AlertLedger.DefaultInterval;

    private static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    private static Alert Down(string fingerprint, string workload = "api", string replica = "api-1", DateTimeOffset? startsAt = null, AlertStatus status = AlertStatus.Firing) =>
        new(status,
            new Dictionary<string, string> { ["alertname"] = "InstanceDown", ["workload"] = workload, ["replica"] = replica },
            new Dictionary<string, string>(),
            startsAt ?? Started,
            status == AlertStatus.Resolved ? At(300) : null,
            null,
            fingerprint);

    private static Alert Crashing(string fingerprint, string workload = "api") =>
        new(AlertStatus.Firing,
            new Dictionary<string, string> { ["alertname"] = "CrashLooping", ["workload"] = workload, ["replica"] = "api-1" },
            new Dictionary<string, string>(),
            Started,
            null,
            null,
            fingerprint);

    /// <summary>Plans and decides one delivery, and moves the ledger on.</summary>
    private sealed class Run(AlertLedger ledger)
    {
        public AlertLedger Ledger { get; private set; } = ledger;

        public AlertDecision Deliver(Alert alert, DateTimeOffset now, TimeSpan? interval = null)
        {
            var decision = Ledger.Decide(AlertActions.Plan(alert), alert, now, interval ?? Interval);
            Ledger = decision.Next;
            return decision;
        }

        public AlertVerdict Verdict(Alert alert, DateTimeOffset now, TimeSpan? interval = null) => Deliver(alert, now, interval).Verdict;
    }

    [Fact]
    public void Acts_on_an_incident_once_and_then_reports_duplicates()
    {
        var run = new Run(AlertLedger.Empty);
        var alert = Down("cf29a335070229f5");

        var first = run.Deliver(alert, At(0));
        var twice = run.Deliver(alert, At(0.2));
        var repeat = run.Deliver(alert, At(4 * 3600));

        Assert.Equal(AlertVerdict.Act, first.Verdict);
        Assert.Equal("InstanceDown → restart (default for InstanceDown): restart api/api-1", first.Reason);
        Assert.Equal(AlertVerdict.Duplicate, twice.Verdict);
        Assert.Equal("InstanceDown cf29a335070229f5 (startsAt 2026-11-25T15:50:22.568Z) was already acted on at 2026-11-25T15:50:30Z: restart api/api-1", twice.Reason);
        Assert.Equal(AlertVerdict.Duplicate, repeat.Verdict);
        Assert.Equal(1, run.Ledger.Incidents);
    }

    [Fact]
    public void Acts_on_the_real_sample_then_ignores_its_resend()
    {
        var alert = Assert.Single(AlertPayload.Parse(AlertPayloadTests.Sample).Payload!.Alerts);
        var plan = AlertActions.Plan(alert);

        var first = AlertLedger.Empty.Decide(plan, alert, At(0));
        var resend = first.Next.Decide(plan, alert, At(4 * 3600));

        Assert.Equal(AlertVerdict.Act, first.Verdict);
        Assert.Equal("InstanceDown → restart (label crane_action): restart api-service/api-service-7f3k2", first.Reason);
        Assert.Equal(AlertVerdict.Duplicate, resend.Verdict);
    }

    [Fact]
    public void A_new_startsAt_for_the_same_fingerprint_is_a_new_incident()
    {
        var run = new Run(AlertLedger.Empty);

        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f1"), At(0)));
        Assert.Equal(AlertVerdict.NoAction, run.Verdict(Down("f1", status: AlertStatus.Resolved), At(300)));
        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f1", startsAt: At(600)), At(601)));
        Assert.Equal(AlertVerdict.Duplicate, run.Verdict(Down("f1", startsAt: At(600)), At(900)));
        Assert.Equal(AlertVerdict.Duplicate, run.Verdict(Down("f1"), At(901)));
        Assert.Equal(2, run.Ledger.Incidents);
    }

    [Fact]
    public void The_same_instant_written_in_another_offset_is_the_same_incident()
    {
        var run = new Run(AlertLedger.Empty);

        run.Deliver(Down("f1"), At(0));

        Assert.Equal(AlertVerdict.Duplicate, run.Verdict(Down("f1", startsAt: Started.ToOffset(TimeSpan.FromHours(2))), At(1)));
    }

    [Fact]
    public void A_storm_for_one_workload_acts_once_per_interval()
    {
        var run = new Run(AlertLedger.Empty);

        var verdicts = new[] { "f1", "f2", "f3", "f4", "f5" }
            .Select((fp, i) => run.Deliver(Down(fp, replica: $"api-{i}"), At(i * 0.1)))
            .ToList();

        Assert.Equal([AlertVerdict.Act, AlertVerdict.RateLimited, AlertVerdict.RateLimited, AlertVerdict.RateLimited, AlertVerdict.RateLimited], verdicts.Select(d => d.Verdict));
        Assert.All(verdicts.Skip(1), d => Assert.Equal(At(30), d.NotBefore));
        Assert.Equal(
            "InstanceDown f2 (startsAt 2026-11-25T15:50:22.568Z): api was acted on at 2026-11-25T15:50:30Z (restart api/api-0 for InstanceDown); " +
            "at most one action per 30 s per workload, next from 2026-11-25T15:51:00Z",
            verdicts[1].Reason);
        Assert.Equal(1, run.Ledger.Incidents);

        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f2", replica: "api-1"), At(30)));
        Assert.Equal(AlertVerdict.RateLimited, run.Verdict(Down("f3", replica: "api-2"), At(31)));
        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f3", replica: "api-2"), At(60)));
        Assert.Equal(AlertVerdict.Duplicate, run.Verdict(Down("f2", replica: "api-1"), At(61)));
    }

    [Fact]
    public void A_rate_limited_alert_is_not_remembered_and_acts_when_delivered_after_the_interval()
    {
        var run = new Run(AlertLedger.Empty);
        run.Deliver(Down("f1"), At(0));

        var limited = run.Deliver(Down("f2", replica: "api-2"), At(10));
        Assert.Equal(AlertVerdict.RateLimited, limited.Verdict);
        Assert.False(run.Ledger.Remembers("f2", Started));
        Assert.Equal(AlertVerdict.RateLimited, run.Verdict(Down("f2", replica: "api-2"), At(29.999)));

        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f2", replica: "api-2"), At(5 * 60)));
        Assert.True(run.Ledger.Remembers("f2", Started));
        Assert.Equal(At(5 * 60), run.Ledger.LastActionOn("api"));
    }

    [Fact]
    public void The_rate_limit_ends_exactly_one_interval_after_the_last_action()
    {
        var run = new Run(AlertLedger.Empty);
        run.Deliver(Down("f1"), At(0));

        Assert.Equal(AlertVerdict.RateLimited, run.Verdict(Down("f2"), At(30).AddTicks(-1)));
        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f2"), At(30)));
    }

    [Fact]
    public void Workloads_are_rate_limited_independently()
    {
        var run = new Run(AlertLedger.Empty);

        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f1", workload: "api"), At(0)));
        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f2", workload: "web", replica: "web-1"), At(0)));
        Assert.Equal(AlertVerdict.RateLimited, run.Verdict(Down("f3", workload: "api", replica: "api-2"), At(1)));
        Assert.Equal(AlertVerdict.RateLimited, run.Verdict(Down("f4", workload: "web", replica: "web-2"), At(1)));
        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f5", workload: "db", replica: "db-1"), At(1)));
        Assert.Equal(3, run.Ledger.Workloads);
    }

    [Fact]
    public void The_limit_counts_any_action_on_the_workload()
    {
        var run = new Run(AlertLedger.Empty);
        var latency = new Alert(AlertStatus.Firing,
            new Dictionary<string, string> { ["alertname"] = "HighLatency", ["workload"] = "api" },
            new Dictionary<string, string>(), Started, null, null, "lat");

        run.Deliver(Down("f1"), At(0));
        var scale = run.Deliver(latency, At(5));

        Assert.Equal(AlertVerdict.RateLimited, scale.Verdict);
        Assert.Contains("(restart api/api-1 for InstanceDown)", scale.Reason);
    }

    [Fact]
    public void The_interval_is_the_callers()
    {
        var run = new Run(AlertLedger.Empty);
        run.Deliver(Down("f1"), At(0), TimeSpan.FromMinutes(5));

        var limited = run.Deliver(Down("f2"), At(60), TimeSpan.FromMinutes(5));
        Assert.Equal(AlertVerdict.RateLimited, limited.Verdict);
        Assert.Equal(At(300), limited.NotBefore);
        Assert.Contains("at most one action per 300 s per workload", limited.Reason);

        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f3"), At(1), TimeSpan.Zero));
        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f4"), At(1), TimeSpan.Zero));
    }

    [Fact]
    public void Uses_thirty_seconds_by_default()
    {
        var first = AlertLedger.Empty.Decide(AlertActions.Plan(Down("f1")), Down("f1"), At(0));
        var second = first.Next.Decide(AlertActions.Plan(Down("f2")), Down("f2"), At(29));
        var third = first.Next.Decide(AlertActions.Plan(Down("f2")), Down("f2"), At(30));

        Assert.Equal(TimeSpan.FromSeconds(30), AlertLedger.DefaultInterval);
        Assert.Equal(AlertVerdict.RateLimited, second.Verdict);
        Assert.Equal(AlertVerdict.Act, third.Verdict);
    }

    [Fact]
    public void A_clock_that_went_back_stays_limited_until_the_interval_after_the_action()
    {
        var run = new Run(AlertLedger.Empty);
        run.Deliver(Down("f1"), At(100));

        var back = run.Deliver(Down("f2"), At(0));

        Assert.Equal(AlertVerdict.RateLimited, back.Verdict);
        Assert.Equal(At(130), back.NotBefore);
    }

    [Fact]
    public void A_duplicate_is_reported_as_such_even_while_the_workload_is_limited()
    {
        var run = new Run(AlertLedger.Empty);
        run.Deliver(Down("f1"), At(0));

        Assert.Equal(AlertVerdict.Duplicate, run.Verdict(Down("f1"), At(1)));
    }

    [Fact]
    public void An_alert_that_needs_no_action_is_decided_once_and_does_not_use_the_workloads_turn()
    {
        var run = new Run(AlertLedger.Empty);

        var first = run.Deliver(Crashing("c1"), At(0));
        var resend = run.Deliver(Crashing("c1"), At(4 * 3600));

        Assert.Equal(AlertVerdict.NoAction, first.Verdict);
        Assert.Equal("CrashLooping → none (default for CrashLooping)", first.Reason);
        Assert.Null(first.NotBefore);
        Assert.Equal(AlertVerdict.Duplicate, resend.Verdict);
        Assert.Equal("CrashLooping c1 (startsAt 2026-11-25T15:50:22.568Z) was already decided at 2026-11-25T15:50:30Z: no action (CrashLooping → none (default for CrashLooping))", resend.Reason);
        Assert.Null(run.Ledger.LastActionOn("api"));
        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f1"), At(4 * 3600 + 1)));
    }

    [Fact]
    public void Resolved_alerts_do_nothing_and_are_not_remembered_but_do_not_reopen_the_incident()
    {
        var run = new Run(AlertLedger.Empty);

        var unseen = run.Deliver(Down("r1", status: AlertStatus.Resolved), At(0));
        Assert.Equal(AlertVerdict.NoAction, unseen.Verdict);
        Assert.Equal("InstanceDown resolved: resolved alerts do not act", unseen.Reason);
        Assert.Equal(0, run.Ledger.Incidents);

        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f1"), At(10)));
        Assert.Equal(AlertVerdict.NoAction, run.Verdict(Down("f1", status: AlertStatus.Resolved), At(300)));
        Assert.Equal(AlertVerdict.NoAction, run.Verdict(Down("f1", status: AlertStatus.Resolved), At(301)));
        Assert.Equal(AlertVerdict.Duplicate, run.Verdict(Down("f1"), At(302)));
    }

    [Fact]
    public void A_resolved_alert_does_nothing_even_with_a_plan_that_acts()
    {
        var plan = new AlertPlan(AlertAction.Restart, "api", "api-1", "made up");

        var decision = AlertLedger.Empty.Decide(plan, Down("f1", status: AlertStatus.Resolved), At(0));

        Assert.Equal(AlertVerdict.NoAction, decision.Verdict);
        Assert.Equal("InstanceDown resolved: resolved alerts do not act", decision.Reason);
    }

    [Fact]
    public void Deciding_leaves_the_earlier_ledger_unchanged()
    {
        var empty = AlertLedger.Empty;

        var acted = empty.Decide(AlertActions.Plan(Down("f1")), Down("f1"), At(0));
        var again = empty.Decide(AlertActions.Plan(Down("f1")), Down("f1"), At(1));

        Assert.Equal(0, empty.Incidents);
        Assert.Equal(0, empty.Workloads);
        Assert.False(empty.Remembers("f1", Started));
        Assert.True(acted.Next.Remembers("f1", Started));
        Assert.Equal(AlertVerdict.Act, again.Verdict);
    }

    [Fact]
    public void An_incident_not_delivered_for_the_retention_is_forgotten()
    {
        var run = new Run(AlertLedger.Empty);
        run.Deliver(Down("f1"), At(0));

        Assert.True(run.Ledger.Remembers("f1", Started));
        run.Deliver(Down("other", workload: "web"), At(24 * 3600 + 1));
        Assert.False(run.Ledger.Remembers("f1", Started));
        Assert.Null(run.Ledger.LastActionOn("api"));
        Assert.Equal(1, run.Ledger.Incidents);
        Assert.Equal(1, run.Ledger.Workloads);

        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f1"), At(24 * 3600 + 2)));
    }

    [Fact]
    public void An_alert_resent_every_repeat_interval_stays_a_duplicate_however_long_it_fires()
    {
        var run = new Run(AlertLedger.Empty);

        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("f1"), At(0)));
        for (var hours = 4; hours <= 72; hours += 4)
            Assert.Equal(AlertVerdict.Duplicate, run.Verdict(Down("f1"), At(hours * 3600)));
    }

    [Fact]
    public void Keeps_at_most_capacity_incidents_that_did_not_act_forgetting_the_least_recently_delivered()
    {
        // CrashLooping plans no action: such incidents are bounded by count.
        var run = new Run(AlertLedger.Create(TimeSpan.FromHours(24), 3));

        run.Deliver(Crashing("a"), At(0));
        run.Deliver(Crashing("b"), At(1));
        run.Deliver(Crashing("c"), At(2));
        Assert.Equal(AlertVerdict.Duplicate, run.Verdict(Crashing("a"), At(3)));
        run.Deliver(Crashing("d"), At(4));
        run.Deliver(Crashing("e"), At(5));

        Assert.Equal(3, run.Ledger.Incidents);
        Assert.True(run.Ledger.Remembers("a", Started));
        Assert.False(run.Ledger.Remembers("b", Started));
        Assert.False(run.Ledger.Remembers("c", Started));
        Assert.True(run.Ledger.Remembers("d", Started));
        Assert.True(run.Ledger.Remembers("e", Started));
    }

    [Fact]
    public void An_incident_that_acted_is_not_forgotten_for_a_flood_of_other_alerts_only_for_its_age()
    {
        var run = new Run(AlertLedger.Create(TimeSpan.FromHours(24), 100));
        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("real"), At(0)));

        // 20,000 alerts that do not act (fake or noise), far more than the capacity of 100.
        for (var i = 0; i < 20_000; i++)
            run.Deliver(Crashing($"noise-{i}"), At(1 + (i / 1000.0)));

        Assert.Equal(100, run.Ledger.Incidents);
        Assert.Equal(AlertVerdict.Duplicate, run.Verdict(Down("real"), At(3600)));
        // After the retention (24 h since it was last delivered) it goes like any other.
        Assert.Equal(AlertVerdict.Act, run.Verdict(Down("real"), At(3600 + (25 * 3600))));
    }

    [Fact]
    public void The_default_ledger_holds_at_most_ten_thousand_incidents_that_did_not_act()
    {
        var run = new Run(AlertLedger.Empty);

        for (var i = 0; i < 10_050; i++)
            run.Deliver(Crashing($"fp-{i}"), At(i));

        Assert.Equal(10_000, AlertLedger.DefaultCapacity);
        Assert.Equal(10_000, run.Ledger.Incidents);
        Assert.False(run.Ledger.Remembers("fp-49", Started));
        Assert.True(run.Ledger.Remembers("fp-50", Started));
        Assert.True(run.Ledger.Remembers("fp-10049", Started));
    }

    [Fact]
    public void Workload_action_times_outlive_a_retention_shorter_than_the_interval()
    {
        var run = new Run(AlertLedger.Create(TimeSpan.FromMinutes(1), 100));
        run.Deliver(Down("f1"), At(0), TimeSpan.FromMinutes(10));

        Assert.Equal(AlertVerdict.RateLimited, run.Verdict(Down("f2"), At(120), TimeSpan.FromMinutes(10)));
        Assert.False(run.Ledger.Remembers("f1", Started));
    }

    [Fact]
    public void Rejects_arguments_it_cannot_decide_on()
    {
        var alert = Down("f1");

        Assert.Throws<ArgumentOutOfRangeException>(() => AlertLedger.Empty.Decide(AlertActions.Plan(alert), alert, At(0), TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentException>(() => AlertLedger.Empty.Decide(new AlertPlan(AlertAction.ScaleUp, null, null, "x"), alert, At(0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => AlertLedger.Create(TimeSpan.Zero, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => AlertLedger.Create(TimeSpan.FromHours(1), 0));
    }
}
