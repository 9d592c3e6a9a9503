using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace Crane.IntegrationTests;

/// <summary>The event log is persistent: a crash of crane-seed keeps the events and their ids, and an SSE client resumes with Last-Event-ID.</summary>
[Collection(OwnCraneCollection.Name)]
public sealed class EventLogRestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(30);
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private void Phase(string what) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:0.0}s {what}");

    [Fact]
    public async Task EventLogRestart_KeepsEventsAndIds_AndTheStreamResumesAfterLastEventId()
    {
        await using var crane = await CraneProcess.StartAsync();
        var name = Specs.UniqueName("evlog");
        Phase("seed serving");

        await crane.Api.ApplyOkAsync(Specs.Demo(name, 1));
        var replica = (await Converge.AllReadyAsync(crane, name, 1)).Replicas[0].Id;
        var before = await Wait.Until(
            () => crane.Api.EventsAsync(),
            e => e.Any(x => x.Reason == "Ready" && x.Object.Name == replica),
            EventWait,
            $"no Ready event for replica {replica} of {name}",
            Describe);
        AssertConsecutive(before.Select(e => e.Id).ToList(), "the log before the restart");
        Phase($"{before.Count} events recorded, ids {before[0].Id}..{before[^1].Id}");

        // A client follows the whole log and has seen it up to the replica's Scheduled event when crane-seed crashes:
        // what came after (Started, Ready, ...) was recorded but not seen, and must be delivered on resume.
        long lastSeen;
        var seen = new List<long>();
        // crane-seed listens on a new port after the restart (--http-port 0): the address is taken per connection.
        await using (var client = await SseStream.OpenAsync(StreamUrl(crane), crane.Api.Token))
        {
            while (true)
            {
                var e = Parse(await client.NextAsync(EventWait));
                seen.Add(e.Id);
                if (e.Reason == "Scheduled" && e.Object.Name == replica)
                    break;
            }

            lastSeen = seen[^1];
            AssertConsecutive(seen, "the replayed stream");
            Assert.Equal(before[0].Id, seen[0]);
            Assert.True(before[^1].Id > lastSeen, $"the Scheduled event #{lastSeen} should not be the newest (#{before[^1].Id})");

            await crane.RestartAsync();
            Phase($"crane-seed killed (-9) and serving again; the client had seen up to #{lastSeen}");

            // The crash ends the old stream: the client notices and reconnects.
            var ended = await Record.ExceptionAsync(async () =>
            {
                while (true)
                    await client.NextAsync(EventWait);
            });
            Assert.True(ended is InvalidOperationException or IOException or HttpRequestException,
                $"the stream of the killed seed should end, got {ended?.GetType().Name}: {ended?.Message}");
        }

        // Same events, same ids.
        var after = await crane.Api.EventsAsync();
        var byId = after.ToDictionary(e => e.Id);
        foreach (var e in before)
        {
            Assert.True(byId.TryGetValue(e.Id, out var again), $"event {e.Describe()} is gone after the restart");
            Assert.Equal(JsonSerializer.Serialize(e, CraneClient.Json), JsonSerializer.Serialize(again, CraneClient.Json));
        }

        // New events after the restart continue the ids.
        await Converge.AllReadyAsync(crane, name, 1);
        var scaled = await crane.Api.ScaleAsync(name, 2);
        Assert.True(scaled.Status == HttpStatusCode.OK, $"scale: {scaled}");
        await Converge.AllReadyAsync(crane, name, 2);
        var latest = await Wait.Until(
            () => crane.Api.EventsAsync(),
            e => e.FirstOrDefault(x => x.Reason == "ScaledUp" && x.Object.Name == name) is { } up &&
                 e.Any(x => x.Reason == "Ready" && x.Details?.GetValueOrDefault("workload") == name && x.Id > up.Id),
            EventWait,
            $"no ScaledUp and new Ready event for {name} after the restart",
            Describe);
        AssertConsecutive(latest.Select(e => e.Id).ToList(), "the log after the restart");
        var newest = latest[^1].Id;
        Assert.True(latest.Single(x => x.Reason == "ScaledUp" && x.Object.Name == name).Id > before[^1].Id, "ScaledUp should come after the old events");
        Phase($"scaled to 2; the log now ends at #{newest}");

        // Resume: every event after Last-Event-ID, none missing, none repeated, then live.
        var resumed = new List<long>();
        await using (var client = await SseStream.OpenAsync(StreamUrl(crane), crane.Api.Token, lastEventId: lastSeen.ToString(CultureInfo.InvariantCulture)))
        {
            while (resumed.Count == 0 || resumed[^1] < newest)
                resumed.Add(Parse(await client.NextAsync(EventWait)).Id);
        }

        Assert.True(resumed[0] == lastSeen + 1, $"resume after #{lastSeen} should start at #{lastSeen + 1}, got {string.Join(", ", resumed)}");
        AssertConsecutive(resumed, "the resumed stream");
        Assert.Equal(latest.Where(e => e.Id > lastSeen && e.Id <= newest).Select(e => e.Id), resumed);
        Phase($"resumed stream delivered #{resumed[0]}..#{resumed[^1]}");
    }

    private static Uri StreamUrl(CraneProcess crane) => new(crane.Api.BaseAddress, "/api/v1/events/stream");

    private static void AssertConsecutive(IReadOnlyList<long> ids, string what)
    {
        for (var i = 1; i < ids.Count; i++)
            Assert.True(ids[i] == ids[i - 1] + 1, $"{what}: #{ids[i]} follows #{ids[i - 1]} (ids {string.Join(", ", ids)})");
    }

    private static string Describe(IReadOnlyList<EventDto> events) => string.Join("; ", events.Select(e => e.Describe()));

    private static EventDto Parse(SseMessage message)
    {
        var e = JsonSerializer.Deserialize<EventDto>(message.Data, CraneClient.Json) ?? throw new InvalidOperationException($"empty event: {message}");
        Assert.Equal(message.Id, e.Id.ToString(CultureInfo.InvariantCulture));
        return e;
    }
}
