using Crane.Actors.Workloads;

namespace Crane.Actors.Tests.Workloads;

public sealed class ReplicaIdsTests
{
    /// <summary>A random source that plays back the given numbers, then repeats the last.</summary>
    private sealed class Scripted(params int[] values) : Random
    {
        private int _next;

        public override int Next(int maxValue) => values[Math.Min(_next++, values.Length - 1)] % maxValue;
    }

    [Fact]
    public void An_id_has_eight_characters_of_the_alphabet()
    {
        var id = ReplicaIds.New(new HashSet<string>(), new Random(42));

        Assert.Equal(8, id.Length);
        Assert.All(id, c => Assert.Contains(c, ReplicaIds.Alphabet));
    }

    [Fact]
    public void A_taken_id_is_never_handed_out_again()
    {
        // The first eight draws spell "bbbbbbbb" (index 0), which is taken; the next eight spell "cccccccc" (index 1).
        var taken = new HashSet<string> { "bbbbbbbb" };
        var random = new Scripted(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);

        var id = ReplicaIds.New(taken, random);

        Assert.Equal("cccccccc", id);
        Assert.Contains("cccccccc", taken);
    }

    [Fact]
    public void One_batch_of_a_thousand_has_no_duplicate()
    {
        var taken = new HashSet<string>();

        var ids = Enumerable.Range(0, 1000).Select(_ => ReplicaIds.New(taken, new Random(7))).ToList();

        // Each call starts from the same seed, so every later call collides first and must draw again.
        Assert.Equal(1000, ids.Distinct().Count());
    }
}
