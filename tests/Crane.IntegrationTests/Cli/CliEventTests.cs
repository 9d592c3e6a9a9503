using System.Text.Json;

namespace Crane.IntegrationTests.Cli;

/// <summary>crane events (filtered lists and -w, which follows the SSE stream) against the shared seed.</summary>
[Collection(SharedCraneCollection.Name)]
public sealed class CliEventTests(SharedCraneFixture fixture)
{
    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(30);
    private readonly CraneProcess _crane = fixture.Crane;
    private readonly CraneCli _cli = CraneCli.For(fixture.Crane);

    [Fact]
    public async Task Events_of_a_workload_are_listed_and_filtered_by_reason_and_type()
    {
        var name = Specs.UniqueName("cli-ev");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1));
            await Wait.Until(async () => (await _crane.Api.EventsAsync($"?workload={name}&reason=Scheduled")).Count > 0, EventWait, $"no Scheduled event for {name}");

            var table = await _cli.OkAsync("events", "--workload", name);
            Assert.Matches(@"^TIME\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n", table);
            Assert.Contains(table.Split('\n'), l => l.Contains("Applied", StringComparison.Ordinal) && l.Contains($"workload/{name}", StringComparison.Ordinal));
            Assert.Contains(table.Split('\n'), l => l.Contains("Scheduled", StringComparison.Ordinal));
            Assert.DoesNotContain(table.Split('\n'), l => l.Contains("workload/", StringComparison.Ordinal) && !l.Contains(name, StringComparison.Ordinal));
            var bare = await _cli.OkAsync("events", "--workload", name, "--no-headers");
            Assert.DoesNotMatch(@"^TIME\s", bare);
            Assert.Contains(bare.Split('\n'), l => l.Contains("Applied", StringComparison.Ordinal) && l.Contains($"workload/{name}", StringComparison.Ordinal));

            using (var json = JsonDocument.Parse(await _cli.OkAsync("events", "--workload", name, "--reason", "Applied", "-o", "json")))
            {
                var applied = json.RootElement.EnumerateArray().ToList();
                Assert.NotEmpty(applied);
                Assert.All(applied, e => Assert.Equal("Applied", e.GetProperty("reason").GetString()));
            }

            var warnings = await _cli.OkAsync("get", "events", "--workload", name, "--type", "Warning", "--since", "1h", "-o", "json");
            using (var json = JsonDocument.Parse(warnings))
                Assert.All(json.RootElement.EnumerateArray(), e => Assert.Equal("Warning", e.GetProperty("type").GetString()));

            var badSince = await _cli.RunAsync("events", "--since", "yesterday");
            Assert.Equal(1, badSince.ExitCode);
            Assert.Contains("error: since:", badSince.Stderr);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }

    [Fact]
    public async Task Events_watch_prints_a_new_event_as_a_line_when_it_happens()
    {
        var name = Specs.UniqueName("cli-watch");
        try
        {
            await _crane.Api.ApplyOkAsync(Specs.Demo(name, 1));
            await using var watch = _cli.Start("events", "-w", "--workload", name);

            // The stream replays the log first: once Applied is printed, the watch is connected.
            await watch.WaitForLineAsync(l => l.Contains("Applied", StringComparison.Ordinal) && l.Contains($"workload/{name}", StringComparison.Ordinal),
                EventWait, $"Applied of workload/{name}");
            Assert.DoesNotContain(watch.Lines, l => l.Contains("ScaledUp", StringComparison.Ordinal));

            var scaled = await _crane.Api.ScaleAsync(name, 2);
            Assert.True(scaled.Status == System.Net.HttpStatusCode.OK, scaled.ToString());

            var line = await watch.WaitForLineAsync(l => l.Contains("ScaledUp", StringComparison.Ordinal), EventWait, "ScaledUp");
            Assert.Matches($@"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\s+Normal\s+ScaledUp\s+workload/{name}\s+replicas 1 → 2", line);
            Assert.StartsWith("TIME", watch.Lines[0], StringComparison.Ordinal);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(_crane, name);
        }
    }
}
