using Crane.Actors.Autoscaling;
using Crane.Contracts.Specs;

namespace Crane.Actors.Tests.Autoscaling;

public sealed class ScalingBehaviorTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static ScalingBehavior Defaults(int min = 1, int max = 100) => ScalingBehavior.From(new AutoscalingSpec { Min = min, Max = max, Target = 70 });

    [Theory]
    // within range: 4 → 6, rate allows max(4+4, 4×2) = 8
    [InlineData(2, 10, 4, 6, 6, ScalingLimit.None)]
    // above max: rate allows max(8+4, 8×2) = 16 > max 10 → TooManyReplicas, 10
    [InlineData(2, 10, 8, 12, 10, ScalingLimit.Max)]
    // below min: rate allows 3 × (1 − 100 %) = 0 < min 2 → TooFewReplicas, 2
    [InlineData(2, 10, 3, 1, 2, ScalingLimit.Min)]
    // current already above max: back to max whatever the metrics say
    [InlineData(2, 10, 12, 12, 10, ScalingLimit.Max)]
    // current already below min: up to min
    [InlineData(2, 10, 1, 1, 2, ScalingLimit.Min)]
    // replica count 0: scaling is off, stay at 0
    [InlineData(2, 10, 0, 5, 0, ScalingLimit.None)]
    public void Min_and_max_clamp_with_a_reason(int min, int max, int current, int recommendation, int expected, ScalingLimit limit)
    {
        var d = Defaults(min, max).Next(ScalingHistory.Empty, current, recommendation, T0);

        Assert.Equal((expected, limit), (d.Desired, d.LimitedBy));
        Assert.Equal(limit != ScalingLimit.None, d.ScalingLimited.Status);
    }

    [Fact]
    public void Conditions_carry_the_kubernetes_reasons()
    {
        var tooMany = Defaults(2, 10).Next(ScalingHistory.Empty, 8, 12, T0);
        Assert.Equal(new AutoscalerCondition("ScalingLimited", true, "TooManyReplicas", "the desired replica count is more than the maximum replica count"), tooMany.ScalingLimited);
        Assert.Equal("recommended 12, limited to 10 by max", tooMany.Explanation);

        var rate = Defaults().Next(ScalingHistory.Empty, 1, 10, T0);
        Assert.Equal("ScaleUpLimit", rate.ScalingLimited.Reason);
        Assert.Equal("recommended 10, limited to 5 by the scale-up rate (4 pods per 15 s, 100% per 15 s; select Max)", rate.Explanation);

        var within = Defaults().Next(ScalingHistory.Empty, 4, 6, T0);
        Assert.Equal(("DesiredWithinRange", false), (within.ScalingLimited.Reason, within.ScalingLimited.Status));
        Assert.Equal("ReadyForNewScale", within.AbleToScale.Reason);

        var disabled = Defaults(2, 10).Next(ScalingHistory.Empty, 0, 5, T0);
        Assert.Equal(("ScalingDisabled", false), (disabled.AbleToScale.Reason, disabled.AbleToScale.Status));
    }

    [Fact]
    public void No_recommendation_keeps_the_count_and_records_nothing()
    {
        var d = Defaults().Next(ScalingHistory.Empty, 4, null, T0);

        Assert.Equal(4, d.Desired);
        Assert.Empty(d.History.Recommendations);
        Assert.Equal("no recommendation, keeping 4", d.Explanation);
    }

    [Fact]
    public void Scale_down_waits_out_the_window_and_scale_up_is_immediate()
    {
        // Defaults: scale-down window 300 s (highest recommendation in it), scale-up window 0 s.
        Run(Defaults(),
            5,
            //  t(s)  rec  desired
            (0, 5, 5),      // nothing to do
            (60, 2, 5),     // max(5 @0, 2) = 5: held
            (120, 2, 5),    // max(5 @0, 2, 2) = 5
            (299, 2, 5),    // 5 @0 still inside (0 > 299 − 300)
            (300, 2, 2),    // 5 @0 left the window (0 > 0 is false): max(2 @60, 2 @120, 2 @299, 2) = 2; rate allows 5 × (1 − 100 %) = 0
            (310, 8, 8),    // up at once (0 s window): start of the 15 s period 2 + 3 removed @300 = 5 → max(5+4, 5×2) = 10 ≥ 8
            (320, 3, 8));   // down is held by 8 @310 inside the 300 s window
    }

    [Fact]
    public void Flapping_recommendations_hold_the_highest()
    {
        Run(Defaults(),
            5,
            (0, 5, 5),
            (15, 3, 5),     // max(5, 3) = 5
            (30, 4, 5),     // max(5, 3, 4) = 5
            (45, 3, 5),
            (320, 3, 4),    // 5 @0 and 3 @15 are gone; max(4 @30, 3 @45, 3) = 4
            (346, 3, 3));   // 4 @30 gone (30 > 46 is false); max(3 @45, 3) = 3
    }

    [Fact]
    public void A_scale_up_window_takes_the_lowest()
    {
        var behavior = Defaults() with { ScaleUp = ScalingBehavior.DefaultScaleUp with { StabilizationWindow = TimeSpan.FromSeconds(60) } };

        Run(behavior,
            2,
            (0, 2, 2),
            (15, 6, 2),     // min(2 @0, 6) = 2: held (ScaleUpStabilized)
            (30, 6, 2),     // min(2 @0, 6, 6) = 2
            (60, 6, 6));    // 2 @0 left the window: min(6 @15, 6 @30, 6) = 6; rate allows max(2+4, 2×2) = 6
    }

    [Fact]
    public void Stabilized_decisions_say_so()
    {
        var history = Defaults().Next(ScalingHistory.Empty, 5, 5, T0).History;

        var d = Defaults().Next(history, 5, 2, T0.AddSeconds(60));

        Assert.Equal(("ScaleDownStabilized", 5), (d.AbleToScale.Reason, d.Desired));
        Assert.Equal("recommended 2, held at 5 by the 300 s scale-down stabilization window (highest recent recommendation)", d.Explanation);
    }

    [Fact]
    public void Default_scale_up_rate_counts_what_was_added_in_the_period()
    {
        Run(Defaults(),
            1,
            (0, 10, 5),     // max(1+4 pods, ceil(1 × 200 %) = 2) = 5
            (5, 10, 5),     // start of period 5 − 4 added = 1 → limit 5 again
            (15, 10, 10));  // +4 @0 left the 15 s period (0 > 0 is false): start 5 → max(9, 10) = 10
    }

    [Theory]
    // from 10 towards 100 with Pods 4 / 60 s and Percent 200 / 60 s: Pods allows 10+4 = 14, Percent ceil(10 × 300 %) = 30
    [InlineData("Max", 30)] // biggest change
    [InlineData("Min", 14)] // smallest change
    [InlineData("Disabled", 10)]
    public void Scale_up_policies_select(string select, int expected)
    {
        var behavior = Behavior(up: new ScalingRulesSpec
        {
            SelectPolicy = select,
            Policies = [new("Pods", 4, 60), new("Percent", 200, 60)],
        });

        var d = behavior.Next(ScalingHistory.Empty, 10, 100, T0);

        Assert.Equal(expected, d.Desired);
        Assert.Equal(ScalingLimit.ScaleUpRate, d.LimitedBy);
    }

    [Theory]
    // from 10 towards 1 with Pods 1 / 60 s and Percent 50 / 60 s: Pods allows 10 − 1 = 9, Percent 10 × 50 % = 5
    [InlineData("Max", 5)] // biggest change
    [InlineData("Min", 9)] // smallest change
    [InlineData("Disabled", 10)]
    public void Scale_down_policies_select(string select, int expected)
    {
        var behavior = Behavior(down: new ScalingRulesSpec
        {
            StabilizationWindowSeconds = 0,
            SelectPolicy = select,
            Policies = [new("Pods", 1, 60), new("Percent", 50, 60)],
        });

        var d = behavior.Next(ScalingHistory.Empty, 10, 1, T0);

        Assert.Equal(expected, d.Desired);
        Assert.Equal(ScalingLimit.ScaleDownRate, d.LimitedBy);
    }

    [Theory]
    // Pods 2 / 60 s: 3 + 2 = 5
    [InlineData("Pods", 2, 3, 5)]
    // Percent 50 / 60 s: ceil(3 × 150 %) = ceil(4.5) = 5
    [InlineData("Percent", 50, 3, 5)]
    // Percent 10 / 60 s from 10: 10 × 110 % = 11 exactly (integers, no 11.000000000000002 → 12)
    [InlineData("Percent", 10, 10, 11)]
    // Percent 1 / 60 s from 3: ceil(3.03) = 4, rounding up so a small percent still adds one
    [InlineData("Percent", 1, 3, 4)]
    public void Scale_up_rate_in_pods_or_percent(string type, int value, int current, int expected)
    {
        var behavior = Behavior(up: new ScalingRulesSpec { Policies = [new(type, value, 60)] });

        Assert.Equal(expected, behavior.Next(ScalingHistory.Empty, current, 50, T0).Desired);
    }

    [Theory]
    // Pods 2 / 60 s: 10 − 2 = 8
    [InlineData("Pods", 2, 10, 8)]
    // Percent 10 / 60 s from 5: 5 × 90 % = 4.5 → 4 (truncated, so one replica can go)
    [InlineData("Percent", 10, 5, 4)]
    // Percent 25 / 60 s from 8: 8 × 75 % = 6
    [InlineData("Percent", 25, 8, 6)]
    public void Scale_down_rate_in_pods_or_percent(string type, int value, int current, int expected)
    {
        var behavior = Behavior(down: new ScalingRulesSpec { StabilizationWindowSeconds = 0, Policies = [new(type, value, 60)] });

        Assert.Equal(expected, behavior.Next(ScalingHistory.Empty, current, 1, T0).Desired);
    }

    [Fact]
    public void Rate_periods_count_scale_events_in_both_directions()
    {
        var behavior = Behavior(
            up: new ScalingRulesSpec { Policies = [new("Pods", 2, 60)] },
            down: new ScalingRulesSpec { StabilizationWindowSeconds = 0, Policies = [new("Pods", 4, 60)] });

        Run(behavior,
            10,
            (0, 8, 8),      // down: 10 − 4 = 6 allowed, 8 wanted
            (20, 1, 6),     // start of period 8 + 2 removed = 10 → 10 − 4 = 6
            (40, 1, 6),     // start 6 + 2 + 2 = 10 → 6: the 60 s budget is spent
            (61, 1, 4),     // −2 @0 gone: start 6 + 2 = 8 → 4
            (70, 9, 9));    // up: start of period 4 − 0 added + 4 removed (@20, @61) = 8 → 8 + 2 = 10 allowed ≥ 9
    }

    [Fact]
    public void History_is_pruned_to_what_the_windows_and_periods_read()
    {
        var behavior = Defaults();
        var history = behavior.Next(ScalingHistory.Empty, 1, 10, T0).History; // +4 @0, recommendation 10 @0

        var later = behavior.Next(history, 5, 5, T0.AddSeconds(301)).History;

        // recommendations older than the 300 s window and events older than the 15 s periods are gone
        Assert.Equal([new TimedRecommendation(5, T0.AddSeconds(301))], later.Recommendations);
        Assert.Empty(later.ScaleUps);
        Assert.Empty(later.ScaleDowns);
    }

    [Fact]
    public void Decisions_record_the_recommendation_and_the_scale_event()
    {
        var d = Defaults().Next(ScalingHistory.Empty, 2, 5, T0);

        Assert.Equal([new TimedRecommendation(5, T0)], d.History.Recommendations);
        Assert.Equal([new ScaleEvent(3, T0)], d.History.ScaleUps);
        Assert.Empty(d.History.ScaleDowns);
    }

    [Fact]
    public void Spec_fields_override_kubernetes_defaults_one_by_one()
    {
        var defaults = Defaults(2, 10);
        Assert.Equal((2, 10), (defaults.Min, defaults.Max));
        Assert.Equal(TimeSpan.Zero, defaults.ScaleUp.StabilizationWindow);
        Assert.Equal(SelectPolicy.Max, defaults.ScaleUp.Select);
        Assert.Equal([new RatePolicy(RatePolicyType.Pods, 4, TimeSpan.FromSeconds(15)), new RatePolicy(RatePolicyType.Percent, 100, TimeSpan.FromSeconds(15))], defaults.ScaleUp.Policies);
        Assert.Equal(TimeSpan.FromSeconds(300), defaults.ScaleDown.StabilizationWindow);
        Assert.Equal([new RatePolicy(RatePolicyType.Percent, 100, TimeSpan.FromSeconds(15))], defaults.ScaleDown.Policies);

        var custom = Behavior(down: new ScalingRulesSpec { StabilizationWindowSeconds = 30, SelectPolicy = "Min" });
        Assert.Equal(TimeSpan.FromSeconds(30), custom.ScaleDown.StabilizationWindow);
        Assert.Equal(SelectPolicy.Min, custom.ScaleDown.Select);
        Assert.Equal(ScalingBehavior.DefaultScaleDown.Policies, custom.ScaleDown.Policies);
        Assert.Same(ScalingBehavior.DefaultScaleUp, custom.ScaleUp);
    }

    private static ScalingBehavior Behavior(ScalingRulesSpec? up = null, ScalingRulesSpec? down = null) =>
        ScalingBehavior.From(new AutoscalingSpec { Min = 1, Max = 100, Target = 70, Behavior = new ScalingBehaviorSpec(up, down) });

    // Feeds recommendations at T0 + t, carrying the desired count and the history from step to step.
    private static void Run(ScalingBehavior behavior, int current, params (int Seconds, int Recommendation, int Desired)[] steps)
    {
        var history = ScalingHistory.Empty;
        foreach (var (seconds, recommendation, expected) in steps)
        {
            var d = behavior.Next(history, current, recommendation, T0.AddSeconds(seconds));
            Assert.True(expected == d.Desired, $"t={seconds}s: recommended {recommendation} from {current}, expected {expected}, got {d.Desired} ({d.Explanation})");
            (current, history) = (d.Desired, d.History);
        }
    }
}
