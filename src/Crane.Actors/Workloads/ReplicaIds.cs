namespace Crane.Actors.Workloads;

/// <summary>
/// Replica ids: 8 characters of an alphabet without vowels (no words) or look-alikes, 27^8 ≈ 2.8·10^11 of them, and
/// never one the workload already uses (running or still stopping): a replica id names one container at a time.
/// </summary>
public static class ReplicaIds
{
    public const int Length = 8;
    public const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>A new id not in <paramref name="taken"/>, which it joins (so one batch never repeats itself).</summary>
    public static string New(ISet<string> taken, Random random)
    {
        Span<char> id = stackalloc char[Length];
        while (true)
        {
            for (var i = 0; i < id.Length; i++)
                id[i] = Alphabet[random.Next(Alphabet.Length)];
            var candidate = new string(id);
            if (taken.Add(candidate))
                return candidate;
        }
    }
}
