using System.Net;

namespace Crane.IntegrationTests;

/// <summary>One request through the seed's NGINX: its status and which replica answered (the demo app says <c>replica: &lt;id&gt;</c>).</summary>
public sealed record LbHit(HttpStatusCode Status, string? Replica, string Body)
{
    public string Describe() => Replica is null ? $"{(int)Status} {Body.Trim()}" : $"{(int)Status} {Replica}";
}

/// <summary>Requests to a workload through the NGINX a crane-seed owns, by <c>Host</c> header or path prefix.</summary>
internal static class Nginx
{
    /// <summary>GET <paramref name="path"/> with <c>Host: &lt;workload&gt;</c>; a refused or reset connection is status 0 with the error as body.</summary>
    public static async Task<LbHit> GetByHostAsync(CraneProcess crane, string workload, string path = "/")
    {
        try
        {
            var (status, body) = await Loopback.GetAsync(crane.LbPort, path, workload);
            return new LbHit(status, ReplicaOf(body), body);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return new LbHit(0, null, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>GET <c>/&lt;workload&gt;/&lt;rest&gt;</c> without a Host header of the workload.</summary>
    public static async Task<LbHit> GetByPathAsync(CraneProcess crane, string workload, string rest = "")
    {
        try
        {
            var (status, body) = await Loopback.GetAsync(crane.LbPort, $"/{workload}/{rest}");
            return new LbHit(status, ReplicaOf(body), body);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return new LbHit(0, null, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary><paramref name="count"/> sequential requests by Host header, each on a new connection.</summary>
    public static async Task<IReadOnlyList<LbHit>> BatchByHostAsync(CraneProcess crane, string workload, int count)
    {
        var hits = new List<LbHit>(count);
        for (var i = 0; i < count; i++)
            hits.Add(await GetByHostAsync(crane, workload));
        return hits;
    }

    /// <summary>What the seed says about its NGINX, and which process listens on its port: for failure messages.</summary>
    public static async Task<string> DiagnoseAsync(CraneProcess crane)
    {
        var lines = new List<string> { $"lb port {crane.LbPort}" };
        try
        {
            var events = await crane.Api.EventsAsync();
            lines.AddRange(events.Where(e => e.Object.Kind == "LoadBalancer").TakeLast(15).Select(e => $"{e.Time:HH:mm:ss.fff} {e.Describe()}"));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            lines.Add($"events: {ex.Message}");
        }

        try
        {
            var listener = await ProcessRunner.RunAsync("ss", ["-Hltnp", $"sport = :{crane.LbPort}"], TimeSpan.FromSeconds(10));
            lines.Add($"listening: {listener.Stdout.Trim()}{listener.Stderr.Trim()}");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or TimeoutException)
        {
            lines.Add($"ss: {ex.Message}");
        }

        var errorLog = Path.Combine(crane.DataDir, "nginx", "error.log");
        if (File.Exists(errorLog))
            lines.AddRange(File.ReadLines(errorLog).TakeLast(10).Select(l => $"error.log: {l}"));
        lines.AddRange(crane.LogTail(400).Split('\n').Where(l => l.Contains("nginx", StringComparison.OrdinalIgnoreCase) || l.Contains("LoadBalancer", StringComparison.Ordinal)).TakeLast(15));
        return string.Join('\n', lines);
    }

    public static string Describe(IEnumerable<LbHit> hits) =>
        string.Join(", ", hits.GroupBy(h => h.Describe()).Select(g => $"{g.Key} x{g.Count()}"));

    /// <summary>The replica id from the demo app's <c>GET /</c> body, or null.</summary>
    public static string? ReplicaOf(string body) =>
        body.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("replica: ", StringComparison.Ordinal))?["replica: ".Length..];
}
