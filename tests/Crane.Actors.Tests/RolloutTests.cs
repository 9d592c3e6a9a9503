using Crane.Actors.Workloads;

namespace Crane.Actors.Tests;

public sealed class RolloutTests
{
    // Replica notation: "id:generation:bound:ready", e.g. "a:1:b:r" = bound and ready, "a:1:-:-" = pending.
    private static List<ReplicaSnapshot> Parse(string replicas) =>
        replicas.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(r => r.Split(':'))
            .Select(p => new ReplicaSnapshot(p[0], long.Parse(p[1]), p[2] == "b", p[3] == "r"))
            .ToList();

    [Theory]
    // fresh workload: create all at once
    [InlineData(1, 3, "", 3, "")]
    // steady state: nothing to do
    [InlineData(1, 3, "a:1:b:r b:1:b:r c:1:b:r", 0, "")]
    // scale up 3 → 5 while nothing is old: create the difference in one step
    [InlineData(1, 5, "a:1:b:r b:1:b:r c:1:b:r", 2, "")]
    // scale down 3 → 1: the unplaced replica goes first, then the unready, then the newest id
    [InlineData(1, 1, "a:1:b:r b:1:-:- c:1:b:-", 0, "b c")]
    [InlineData(1, 1, "a:1:b:r b:1:b:r c:1:b:r", 0, "c b")]
    // rollout start: 3 old ready, none new → surge one new replica, keep every old one (3 ready − 1 < 3)
    [InlineData(2, 3, "a:1:b:r b:1:b:r c:1:b:r", 1, "")]
    // the new replica is not ready yet: wait
    [InlineData(2, 3, "a:1:b:r b:1:b:r c:1:b:r d:2:b:-", 0, "")]
    // the new replica is ready: 4 ready − 1 ≥ 3 → one old goes; 1 new < 3 and all new ready → one more new
    [InlineData(2, 3, "a:1:b:r b:1:b:r c:1:b:r d:2:b:r", 1, "a")]
    // an old replica that is not ready can go at once
    [InlineData(2, 3, "a:1:b:- b:1:b:r c:1:b:r d:2:b:-", 0, "a")]
    // rollout done: all new ready, remaining old ready ones above desired go
    [InlineData(2, 2, "a:1:b:r d:2:b:r e:2:b:r", 0, "a")]
    // scale to zero removes everything, old and new
    [InlineData(2, 0, "a:1:b:r d:2:b:-", 0, "d a")]
    public void NextStep(long generation, int desired, string replicas, int create, string remove)
    {
        var step = Rollout.NextStep(generation, desired, Parse(replicas));

        Assert.Equal(create, step.Create);
        Assert.Equal(remove.Split(' ', StringSplitOptions.RemoveEmptyEntries), step.Remove);
    }

    [Fact]
    public void A_rollout_never_drops_below_the_desired_ready_count()
    {
        // Simulate a 3-replica rollout where each created replica becomes ready before the next step.
        var replicas = Parse("a:1:b:r b:1:b:r c:1:b:r");
        var next = 0;
        for (var round = 0; round < 20; round++)
        {
            var step = Rollout.NextStep(2, 3, replicas);
            if (step.IsEmpty)
                break;
            replicas.RemoveAll(r => step.Remove.Contains(r.Id));
            Assert.True(replicas.Count(r => r.Ready) >= 3, $"round {round}: only {replicas.Count(r => r.Ready)} ready");
            for (var i = 0; i < step.Create; i++)
                replicas.Add(new ReplicaSnapshot($"n{next++}", 2, Bound: true, Ready: true));
        }

        Assert.Equal(3, replicas.Count);
        Assert.All(replicas, r => Assert.Equal(2, r.Generation));
    }
}
