using Akka.Actor;
using Akka.Cluster;
using Akka.TestKit.TestActors;
using Akka.TestKit.Xunit2;
using Crane.Actors.Hosting;

namespace Crane.Actors.Tests.Hosting;

public sealed class LocalActorHealthTests() : TestKit(TestConfig.Cluster)
{
    private static readonly TimeSpan LookEvery = TimeSpan.FromMilliseconds(50);

    private HealthReport Report(IActorRef health)
    {
        health.Tell(GetHealth.Instance, TestActor);
        return ExpectMsg<HealthReport>();
    }

    private void JoinSelf()
    {
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        AwaitCondition(() => cluster.SelfMember.Status == MemberStatus.Up, TimeSpan.FromSeconds(10));
    }

    private IActorRef Watching(params string[] names) =>
        Sys.ActorOf(LocalActorHealth.Props(names.ToDictionary(n => n, n => $"/user/{n}"), LookEvery));

    private void StopAndWait(IActorRef actor)
    {
        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor);
    }

    [Fact]
    public void A_watched_actor_that_stops_while_the_member_is_up_makes_the_process_unhealthy_until_it_runs_again()
    {
        JoinSelf();
        var scheduler = Sys.ActorOf(Props.Create<BlackHoleActor>(), "scheduler");
        Sys.ActorOf(Props.Create<BlackHoleActor>(), "policy");
        var health = Watching("scheduler", "policy");
        AwaitAssert(() => Assert.Equal(["policy", "scheduler"], Report(health).Running));

        StopAndWait(scheduler);

        AwaitAssert(() => Assert.Equal(["scheduler"], Report(health).Stopped));
        Assert.False(Report(health).Healthy);
        Assert.Equal(["policy"], Report(health).Running);

        // A new incarnation at the same path (a restart by a supervisor, a new singleton) is healthy again.
        Sys.ActorOf(Props.Create<BlackHoleActor>(), "scheduler");
        AwaitAssert(() => Assert.True(Report(health).Healthy, $"still stopped: {string.Join(", ", Report(health).Stopped)}"));
    }

    [Fact]
    public void An_actor_that_never_ran_here_does_not_count_as_stopped()
    {
        // A singleton hosted by another member is never found at its local path.
        JoinSelf();
        Sys.ActorOf(Props.Create<BlackHoleActor>(), "event-log");
        var health = Watching("scheduler", "event-log");
        AwaitAssert(() => Assert.Equal(["event-log"], Report(health).Running));

        var report = Report(health);
        Assert.True(report.Healthy);
        Assert.Empty(report.Stopped);
    }

    [Fact]
    public void An_actor_that_stops_before_the_member_is_up_is_not_a_failure()
    {
        // Not a member (yet, or any more while leaving): singletons stop when they are handed over.
        var node = Sys.ActorOf(Props.Create<BlackHoleActor>(), "node");
        var health = Watching("node");
        AwaitAssert(() => Assert.Equal(["node"], Report(health).Running));

        StopAndWait(node);

        AwaitAssert(() => Assert.Empty(Report(health).Running));
        Assert.True(Report(health).Healthy);
    }
}
