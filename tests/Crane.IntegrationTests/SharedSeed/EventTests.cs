using System.Globalization;
using System.Text.Json;

namespace Crane.IntegrationTests;

[Collection(SharedCraneCollection.Name)]
public sealed class EventTests(SharedCraneFixture fixture)
{
    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(20);
    private readonly CraneProcess _crane = fixture.Crane;

    [Fact]
    public async Task Events_OfAFreshWorkload_TellItsLifecycleInOrder()
    {
        var name = Specs.UniqueName("events");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1));
            var ready = await Converge.AllReadyAsync(_crane, name, 1);
            var replica = ready.Replicas[0].Id;

            string[] lifecycle = ["Applied", "Scheduled", "Started", "Ready"];
            var events = await Wait.Until(
                () => _crane.Api.EventsAsync($"?workload={name}"),
                e => lifecycle.All(reason => e.Any(x => x.Reason == reason)),
                EventWait,
                $"events of {name} should include {string.Join(", ", lifecycle)}",
                e => string.Join("; ", e.Select(x => x.Describe())));

            Assert.Equal(events.Select(e => e.Id).Order(), events.Select(e => e.Id));
            Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
            Assert.All(events, e => Assert.True(
                (e.Object.Kind == "Workload" && e.Object.Name == name) || e.Details?.GetValueOrDefault("workload") == name,
                $"event does not belong to {name}: {e.Describe()}"));

            var applied = events.First(e => e.Reason == "Applied");
            Assert.Equal(new ObjectRefDto("Workload", name), applied.Object);
            var scheduled = events.First(e => e.Reason == "Scheduled" && e.Object.Name == replica);
            var started = events.First(e => e.Reason == "Started" && e.Object.Name == replica);
            var readyEvent = events.First(e => e.Reason == "Ready" && e.Object.Name == replica);
            Assert.True(applied.Id < scheduled.Id && scheduled.Id < started.Id && started.Id < readyEvent.Id,
                $"lifecycle out of order: {string.Join("; ", events.Select(e => e.Describe()))}");
            Assert.Equal(_crane.NodeName, started.Node);
            Assert.All(events, e => Assert.Contains(e.Type, new[] { "Normal", "Warning" }));

            var onlyReady = await _crane.Api.EventsAsync($"?workload={name}&reason=Ready");
            Assert.NotEmpty(onlyReady);
            Assert.All(onlyReady, e => Assert.Equal("Ready", e.Reason));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Events_TakeALimitOfTheNewest_AndSinceAsAShortDuration()
    {
        var name = Specs.UniqueName("evlimit");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1));
            await Converge.AllReadyAsync(_crane, name, 1);
            var all = await _crane.Api.EventsAsync($"?workload={name}");
            Assert.True(all.Count >= 3, string.Join("\n", all.Select(e => e.Describe())));

            var newest = await _crane.Api.EventsAsync($"?workload={name}&limit=2");
            Assert.Equal(all.TakeLast(2).Select(e => e.Id), newest.Select(e => e.Id));
            Assert.Equal(all.Select(e => e.Id), (await _crane.Api.EventsAsync($"?workload={name}&since=10m")).Select(e => e.Id));

            foreach (var bad in new[] { "limit=0", "limit=abc", "since=5y" })
            {
                var response = await _crane.Api.SendAsync(HttpMethod.Get, $"/api/v1/events?{bad}");
                Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.Status);
                Assert.Contains(bad.Split('=')[0], response.Json.GetProperty("error").GetString());
            }
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task EventStream_DeliversNewEventsLive_AndResumesAfterLastEventId()
    {
        var name = Specs.UniqueName("sse");
        var url = new Uri(_crane.Api.BaseAddress, $"/api/v1/events/stream?workload={name}");
        try
        {
            var firstIds = new List<long>();
            await using (var stream = await SseStream.OpenAsync(url, _crane.Api.Token))
            {
                await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1));
                // Live: the workload did not exist when the stream opened, so everything read here arrived without a reload.
                while (true)
                {
                    var message = await stream.NextAsync(EventWait);
                    var e = Parse(message);
                    Assert.Equal(message.Id, e.Id.ToString(CultureInfo.InvariantCulture));
                    Assert.Equal(message.Event, e.Reason);
                    firstIds.Add(e.Id);
                    if (e.Reason == "Ready")
                        break;
                }
            }

            Assert.Equal(firstIds.Order(), firstIds);
            var lastSeen = firstIds[^1];

            // While nobody listens, the workload scales up and emits more events.
            var scaled = await _crane.Api.ScaleAsync(name, 2);
            Assert.True(scaled.Status == System.Net.HttpStatusCode.OK, $"scale: {scaled}");
            var missed = await Wait.Until(
                () => _crane.Api.EventsAsync($"?workload={name}"),
                e => e.Any(x => x.Reason == "ScaledUp" && x.Id > lastSeen),
                EventWait,
                $"no ScaledUp event for {name}",
                e => string.Join("; ", e.Select(x => x.Describe())));
            var expectedNext = missed.Where(e => e.Id > lastSeen).Min(e => e.Id);

            var resumedIds = new List<long>();
            await using (var resumed = await SseStream.OpenAsync(url, _crane.Api.Token, lastEventId: lastSeen.ToString(CultureInfo.InvariantCulture)))
            {
                while (true)
                {
                    var e = Parse(await resumed.NextAsync(EventWait));
                    resumedIds.Add(e.Id);
                    if (e.Reason == "ScaledUp")
                        break;
                }
            }

            Assert.True(resumedIds[0] == expectedNext, $"resume after {lastSeen} should start at {expectedNext}, got ids {string.Join(", ", resumedIds)}");
            Assert.All(resumedIds, id => Assert.True(id > lastSeen, $"id {id} repeats an event at or before Last-Event-ID {lastSeen}"));
            Assert.Equal(resumedIds.Count, resumedIds.Distinct().Count());
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    private static EventDto Parse(SseMessage message) =>
        JsonSerializer.Deserialize<EventDto>(message.Data, CraneClient.Json) ?? throw new InvalidOperationException($"empty event: {message}");
}
