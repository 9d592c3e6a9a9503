using Crane.Actors.Autoscaling;
using Crane.Contracts.Specs;

namespace Crane.Actors.Tests.Autoscaling;

/// <summary>
/// Rows list replicas as tokens: "300" ready with value 300, "!300" not ready, "~300" ready but started just now
/// (cpu: still initializing), "?" ready without a value, "!?" not ready without a value. Cpu and memory rows use a
/// request of 1000 per replica, so 300 is 30 % (cpu in millicores of a 1-core request).
/// </summary>
public sealed class ReplicaCalculatorTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    // Kubernetes "scale up": (300+500+700)/3 = 500 = 50 %; 50/30 = 1.667; ceil(1.667 × 3) = 5
    [InlineData(3, "300 500 700", 30, 5)]
    // tolerance: 102 % of 100 %, |1 − 1.02| ≤ 0.1 → keep 3
    [InlineData(3, "1010 1030 1020", 100, 3)]
    // tolerance edge: 110 % of 100 %, |1 − 1.1| = 0.1 ≤ 0.1 → keep 3
    [InlineData(3, "1100 1100 1100", 100, 3)]
    // just past it: 111 %, ratio 1.11; ceil(1.11 × 3) = ceil(3.33) = 4
    [InlineData(3, "1110 1110 1110", 100, 4)]
    // Kubernetes "scale down": 1400/5 = 280 = 28 %; 28/50 = 0.56; ceil(0.56 × 5) = ceil(2.8) = 3
    [InlineData(5, "100 300 500 250 250", 50, 3)]
    // Kubernetes "unready pod scales less": ready 600 = 60 %, ratio 2 > 1 → unready as 0: 1200/3 = 40 %; 40/30 = 1.333; ceil(1.333 × 3) = 4
    [InlineData(3, "!300 500 700", 30, 4)]
    // Kubernetes "hot-CPU pod scales less": the initializing replica is treated like the unready one above → 4
    [InlineData(3, "~300 500 700", 30, 4)]
    // Kubernetes "unready pods ignored" (direction flip): ready 40 %, ratio 1.333 → with 2 unready as 0: 400/3 = 13.3 %, ratio 0.444 < 1 → keep 3
    [InlineData(3, "400 !500 !700", 30, 3)]
    // Kubernetes "hot-CPU pods ignored" (flip): same with the two initializing → keep 3
    [InlineData(3, "400 ~500 ~700", 30, 3)]
    // Kubernetes "exclude unready pods" on scale down: ready 900/3 = 30 %; 30/50 = 0.6 → unready left out; ceil(0.6 × 3) = ceil(1.8) = 2
    [InlineData(5, "100 300 500 !250 !250", 50, 2)]
    // Kubernetes "ignore hot-CPU pods" on scale down: same numbers → 2
    [InlineData(5, "100 300 500 ~250 ~250", 50, 2)]
    // Kubernetes "exclude unscheduled pods": only 100 = 10 %; 10/50 = 0.2; ceil(0.2 × 1) = 1
    [InlineData(5, "100 !? !? !? !?", 50, 1)]
    // Kubernetes "some pods missing metrics scales down": ready 495/2 = 24.75 %, ratio 0.2475 < 1 → missing as 100 %: (400+95+1000+1000)/4 = 62.375 %, ratio 0.624; ceil(0.624 × 4) = ceil(2.495) = 3
    [InlineData(4, "400 95 ? ?", 100, 3)]
    // Kubernetes "metric equal to target": ratio exactly 1 → the missing one is left out; 1.0 within tolerance → keep 2
    [InlineData(2, "1000 ?", 100, 2)]
    // Kubernetes "metric above target" (missing on scale up): 190 %, ratio 1.9 → missing as 0: 1900/2 = 95 %, ratio 0.95 ≤ 1.1 within tolerance → keep 2
    [InlineData(2, "1900 ?", 100, 2)]
    // missing on scale up, still up: 300 %, ratio 3 → missing as 0: 3000/2 = 150 %, ratio 1.5; ceil(1.5 × 2) = 3
    [InlineData(2, "3000 ?", 100, 3)]
    // Kubernetes "metric below target": 60 %, ratio 0.6 → missing as 100 %: 1600/2 = 80 %, ratio 0.8; ceil(0.8 × 2) = ceil(1.6) = 2
    [InlineData(2, "600 ?", 100, 2)]
    // Kubernetes "unready pod metric missing" (flip): ready 45 %, ratio 0.9 → unready left out, missing as 100 %: (450+1000)/2 = 72.5 %, ratio 1.45 > 1 → keep 3
    [InlineData(3, "!100 450 ?", 50, 3)]
    // Kubernetes "scale up: unready pod metric missing": ready 200 %, ratio 4 → missing and unready as 0: 2000/3 = 66.7 %, ratio 1.333; ceil(1.333 × 3) = 4
    [InlineData(3, "!100 2000 ?", 50, 4)]
    // Kubernetes "scale down: unready pod metric missing": ready 10 %, ratio 0.2 → unready out, missing as 100 %: 1200/3 = 40 %, ratio 0.8; ceil(0.8 × 3) = ceil(2.4) = 3
    [InlineData(4, "!100 100 100 ?", 50, 3)]
    // Kubernetes "target over 100": ready 10 %, ratio 0.033 → missing as max(100, 300) = 300 %: (100+100+3000)/3 = 106.7 %, ratio 0.356; ceil(0.356 × 3) = ceil(1.07) = 2
    [InlineData(4, "!200 100 100 ?", 300, 2)]
    // Kubernetes "rolling update with maxSurge": 10 %, ratio 0.2 → missing as 100 %: 1200/3 = 40 %, ratio 0.8; ceil(0.8 × 3) = 3 > current 2 on a scale down → keep 2
    [InlineData(2, "100 100 ?", 50, 2)]
    public void Cpu_utilization_as_kubernetes(int current, string replicas, double targetPercent, int expected)
    {
        var p = ReplicaCalculator.Desired(current, Samples(replicas), new MetricTarget(MetricKind.Cpu, targetPercent, 1000), Now);

        Assert.True(p.Available, p.Explanation);
        Assert.Equal(expected, p.Desired);
    }

    [Theory]
    // memory has no initialization period: the just-started replica counts → (300+500+700)/3 = 50 %; 50/30 = 1.667; ceil(1.667 × 3) = 5
    [InlineData(3, "~300 500 700", 30, 5)]
    // not-ready still counts as 0 on a scale up: ready 60 %, ratio 2 → 1200/3 = 40 %, ratio 1.333; ceil(1.333 × 3) = 4
    [InlineData(3, "!300 500 700", 30, 4)]
    // scale down: 200 = 20 %; 20/80 = 0.25; ceil(0.25 × 4) = 1
    [InlineData(4, "200 200 200 200", 80, 1)]
    public void Memory_utilization(int current, string replicas, double targetPercent, int expected)
    {
        var p = ReplicaCalculator.Desired(current, Samples(replicas), new MetricTarget(MetricKind.Memory, targetPercent, 1000), Now);

        Assert.Equal(expected, p.Desired);
    }

    [Theory]
    // Kubernetes pods metric "scale up": (20+10+30)/3 = 20; 20/15 = 1.333; ceil(1.333 × 3) = 4
    [InlineData(3, "20 10 30", 15, 4)]
    // Kubernetes "scale down": 12/20 = 0.6; ceil(0.6 × 5) = 3
    [InlineData(5, "12 12 12 12 12", 20, 3)]
    // Kubernetes "within default tolerance": 62/3 = 20.667; 20.667/20 = 1.033 ≤ 1.1 → keep 3
    [InlineData(3, "20 21 21", 20, 3)]
    // Kubernetes "no change: missing metrics": 60/3 = 20, ratio exactly 1 → missing left out → keep 5
    [InlineData(5, "20 19 21 ? ?", 20, 5)]
    // Kubernetes "rolling update with maxSurge": 10/17 = 0.588 → missing as the target 17: 37/3 = 12.33, ratio 0.725; ceil(0.725 × 3) = 3 > current 2 → keep 2
    [InlineData(2, "10 10 ?", 17, 2)]
    // missing on scale down counts as the target: 5/20 = 0.25 → (5+5+20+20)/4 = 12.5, ratio 0.625; ceil(0.625 × 4) = ceil(2.5) = 3
    [InlineData(4, "5 5 ? ?", 20, 3)]
    // not ready counts as 0 on a scale up (Kubernetes counts running-but-unready pods for custom metrics and says 6 here): ready (50+10)/2 = 30, ratio 2 → 60/3 = 20, ratio 1.333; ceil(1.333 × 3) = 4
    [InlineData(3, "50 10 !30", 15, 4)]
    // the cpu initialization period does not apply: (20+10+30)/3 = 20; ceil(1.333 × 3) = 4
    [InlineData(3, "~20 10 30", 15, 4)]
    public void Custom_metric_average_value(int current, string replicas, double target, int expected)
    {
        var p = ReplicaCalculator.Desired(current, Samples(replicas), new MetricTarget(MetricKind.Custom, target, Name: "rps"), Now);

        Assert.Equal(expected, p.Desired);
    }

    [Theory]
    // Kubernetes "outside configurable 1% tolerance": 20.667/20 = 1.033 > 1.01; ceil(1.033 × 3) = ceil(3.1) = 4
    [InlineData(0.01, 4)]
    // default 10 %: 1.033 within → keep 3
    [InlineData(0.1, 3)]
    public void Tolerance_is_configurable(double tolerance, int expected)
    {
        var settings = ReplicaCalculatorSettings.Default with { Tolerance = tolerance };
        var p = ReplicaCalculator.Desired(3, Samples("20 21 21"), new MetricTarget(MetricKind.Custom, 20), Now, settings);

        Assert.Equal(expected, p.Desired);
    }

    [Theory]
    // started 2 min ago (inside the 5 min period), ready for 10 s < the 60 s window → initializing, counted as 0: 1200/3 = 40 %, ratio 1.333 → 4
    [InlineData(120, 10, 4)]
    // ready for 90 s ≥ the 60 s window: its sample is clean → 50 %, ratio 1.667 → 5
    [InlineData(120, 90, 5)]
    // started 6 min ago, past the initialization period: counts even though it just became ready → 5
    [InlineData(360, 10, 5)]
    public void Cpu_initialization_waits_one_metric_window_after_readiness(int startedSecondsAgo, int readySecondsAgo, int expected)
    {
        var samples = Samples("500 700").Prepend(new ReplicaSample("fresh", true, Now.AddSeconds(-startedSecondsAgo), 300, Now.AddSeconds(-readySecondsAgo))).ToList();

        Assert.Equal(expected, ReplicaCalculator.Desired(3, samples, new MetricTarget(MetricKind.Cpu, 30, 1000), Now).Desired);
    }

    [Fact]
    public void Explanation_gives_the_numbers()
    {
        var plain = ReplicaCalculator.Desired(3, Samples("300 500 700"), new MetricTarget(MetricKind.Cpu, 30, 1000), Now);
        Assert.Equal("cpu 50% of 30% target over 3 ready replicas: ceil(1.667 × 3) = 5", plain.Explanation);
        Assert.Equal(50, plain.Observed!.Value, 6);
        Assert.Equal((3, 0, 0), (plain.Ready, plain.Unready, plain.Missing));

        var assumed = ReplicaCalculator.Desired(3, Samples("!100 2000 ?"), new MetricTarget(MetricKind.Cpu, 50, 1000), Now);
        Assert.Equal("cpu 200% of 50% target over 1 ready replica; 1 missing counted as 0%, 1 not ready counted as 0% → 66.667% over 3 replicas: ceil(1.333 × 3) = 4", assumed.Explanation);
        Assert.Equal((1, 1, 1), (assumed.Ready, assumed.Unready, assumed.Missing));

        var flipped = ReplicaCalculator.Desired(3, Samples("400 !500 !700"), new MetricTarget(MetricKind.Cpu, 30, 1000), Now);
        Assert.EndsWith("that reverses the direction, keeping 3", flipped.Explanation);

        var within = ReplicaCalculator.Desired(3, Samples("20 21 21"), new MetricTarget(MetricKind.Custom, 20, Name: "rps"), Now);
        Assert.Equal("rps 20.667 of 20 target over 3 ready replicas: within 10% tolerance, keeping 3", within.Explanation);
    }

    [Theory]
    [InlineData("!300 !? ?", MetricKind.Cpu, 1000, "cpu: no metrics from ready replicas (3 replicas: 2 not ready or initializing, 1 missing)")]
    [InlineData("~300", MetricKind.Cpu, 1000, "cpu: no metrics from ready replicas (1 replica: 1 not ready or initializing, 0 missing)")]
    [InlineData("", MetricKind.Custom, 0, "custom: no metrics from ready replicas (0 replicas: 0 not ready or initializing, 0 missing)")]
    [InlineData("300", MetricKind.Memory, 0, "memory: no memory request to measure utilization against")]
    public void No_usable_sample_is_unavailable_at_the_current_count(string replicas, MetricKind kind, double request, string explanation)
    {
        var p = ReplicaCalculator.Desired(3, Samples(replicas), new MetricTarget(kind, 50, request), Now);

        Assert.False(p.Available);
        Assert.Equal(3, p.Desired);
        Assert.Equal(explanation, p.Explanation);
    }

    [Fact]
    public void A_value_that_is_not_a_number_counts_as_missing()
    {
        // NaN is what an empty PromQL division gives: 400 and 95 ready, NaN missing → same as "400 95 ? ?" → 3
        var samples = Samples("400 95").Concat([Replica("nan", true, double.NaN), Replica("inf", true, double.PositiveInfinity)]).ToList();

        var p = ReplicaCalculator.Desired(4, samples, new MetricTarget(MetricKind.Cpu, 100, 1000), Now);

        Assert.Equal((3, 2), (p.Desired, p.Missing));
    }

    [Theory]
    // cpu wants 5, memory 3: the largest wins
    [InlineData(4, "cpu=5 memory=3", 5, true, "cpu")]
    [InlineData(4, "cpu=3 memory=6", 6, true, "memory")]
    // a missing metric does not stop a scale up
    [InlineData(4, "cpu=6 memory=-", 6, true, "cpu")]
    // but blocks a scale down: keep 4
    [InlineData(4, "cpu=2 memory=-", 4, false, "memory")]
    // nothing available: keep 4
    [InlineData(4, "cpu=- memory=-", 4, false, "cpu")]
    public void Several_metrics_take_the_largest(int current, string proposals, int expected, bool available, string metric)
    {
        var list = proposals.Split(' ').Select(x => x.Split('=')).Select(x => x[1] == "-"
            ? new ReplicaProposal(x[0], current, false, null, 50, 0, 0, 0, $"{x[0]}: unavailable")
            : new ReplicaProposal(x[0], int.Parse(x[1]), true, 60, 50, 3, 0, 0, $"{x[0]} wants {x[1]}")).ToList();

        var p = ReplicaCalculator.Largest(current, list);

        Assert.Equal((expected, available, metric), (p.Desired, p.Available, p.Metric));
    }

    [Fact]
    public void A_blocked_scale_down_says_why()
    {
        var p = ReplicaCalculator.Largest(4,
        [
            new ReplicaProposal("cpu", 2, true, 20, 50, 4, 0, 0, "cpu wants 2"),
            new ReplicaProposal("rps", 4, false, null, 10, 0, 0, 4, "rps: no metrics from ready replicas"),
        ]);

        Assert.Equal("rps: no metrics from ready replicas; not scaling down to 2 on cpu while a metric is unavailable", p.Explanation);
    }

    [Fact]
    public void Targets_come_from_the_spec_and_the_requests()
    {
        var resources = new ResourceSpec(0.5, 256L * 1024 * 1024);

        Assert.Equal(new MetricTarget(MetricKind.Cpu, 70, 0.5), MetricTarget.From(new AutoscalingSpec { Max = 5, Metric = "cpu", Target = 70 }, resources));
        Assert.Equal(new MetricTarget(MetricKind.Memory, 80, 256.0 * 1024 * 1024), MetricTarget.From(new AutoscalingSpec { Max = 5, Metric = "memory", Target = 80 }, resources));
        Assert.Equal(new MetricTarget(MetricKind.Custom, 100), MetricTarget.From(new AutoscalingSpec { Max = 5, Metric = "custom", Target = 100, Query = "rate(x[1m])" }, resources));
    }

    [Fact]
    public void Cpu_in_cores_against_a_fractional_request()
    {
        // 0.143 cores of a 0.1-core request = 143 %; 143/70 = 2.043; ceil(2.043 × 2) = ceil(4.086) = 5
        var samples = new[] { Replica("a", true, 0.143), Replica("b", true, 0.143) };

        var p = ReplicaCalculator.Desired(2, samples, new MetricTarget(MetricKind.Cpu, 70, 0.1), Now);

        Assert.Equal(5, p.Desired);
        Assert.StartsWith("cpu 143% of 70% target over 2 ready replicas", p.Explanation);
    }

    private static List<ReplicaSample> Samples(string replicas) =>
        replicas.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select((token, i) =>
        {
            var ready = !token.StartsWith('!');
            var fresh = token.StartsWith('~');
            var value = token.TrimStart('!', '~');
            var started = fresh ? Now : Now.AddMinutes(-10);
            return new ReplicaSample($"r{i}", ready, started, value == "?" ? null : double.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
        }).ToList();

    private static ReplicaSample Replica(string id, bool ready, double value) => new(id, ready, Now.AddMinutes(-10), value);
}
