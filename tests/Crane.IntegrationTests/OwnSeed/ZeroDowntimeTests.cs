using System.Diagnostics;
using System.Globalization;
using System.Net;
using Xunit.Abstractions;

namespace Crane.IntegrationTests;

/// <summary>Constant load through NGINX while the workload scales and rolls: not one failed or non-2xx request (issue 4).</summary>
[Collection(OwnCraneCollection.Name)]
public sealed class ZeroDowntimeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Load = TimeSpan.FromSeconds(30);
    private const int Concurrency = 20;

    [Fact]
    public async Task ScaleUpScaleDownAndRollout_UnderLoadThroughNginx_DropNoRequest()
    {
        await using var crane = await CraneProcess.StartAsync();
        var name = Specs.UniqueName("zero");
        const string health = "  readiness: {type: http, path: /ready, periodSeconds: 0.5}";
        await crane.Api.ApplyOkAsync(Specs.Probed(name, 2, health, cpu: "0.25"));
        var first = await Converge.AllReadyAsync(crane, name, 2);
        var ids = first.Replicas.Select(r => r.Id).Order(StringComparer.Ordinal).ToList();
        try
        {
            await Wait.Until(
                () => Nginx.BatchByHostAsync(crane, name, 20),
                hits => hits.All(h => h.Status == HttpStatusCode.OK) && hits.Select(h => h.Replica).Distinct().Order(StringComparer.Ordinal).SequenceEqual(ids),
                Wait.Converge,
                $"NGINX should route Host: {name} to both replicas before the load starts",
                Nginx.Describe);
        }
        catch (WaitTimeoutException ex)
        {
            throw new WaitTimeoutException($"{ex.Message}\n{await Nginx.DiagnoseAsync(crane)}");
        }

        await using var hey = HeyRun.Start("-z", $"{Load.TotalSeconds:0}s", "-c", Concurrency.ToString(CultureInfo.InvariantCulture), "-disable-keepalive",
            "-host", name, $"http://127.0.0.1:{crane.LbPort}/");
        var clock = Stopwatch.StartNew();
        var steps = new List<string>();
        void Step(string what) => steps.Add($"{clock.Elapsed.TotalSeconds:0.0}s {what}");

        // One round is the acceptance scenario; more rounds run while there is load time left for a whole one (and then some).
        var generation = first.Generation;
        var rounds = 0;
        var roundTime = TimeSpan.Zero;
        while (rounds == 0 || clock.Elapsed + 2 * roundTime < Load)
        {
            var roundStart = clock.Elapsed;
            rounds++;
            Assert.Equal(HttpStatusCode.OK, (await crane.Api.ScaleAsync(name, 6)).Status);
            await Converge.AllReadyAsync(crane, name, 6);
            Step($"round {rounds}: 6/6 ready");

            Assert.Equal(HttpStatusCode.OK, (await crane.Api.ScaleAsync(name, 2)).Status);
            await Wait.Until(
                () => crane.Api.GetExistingWorkloadAsync(name),
                w => w.Replicas.Count == 2 && w.ReadyReplicas == 2,
                Wait.Converge,
                $"{name} should be back to 2 replicas (the 4 others drained and stopped)",
                w => w.Describe());
            Step("back to 2 replicas");

            var version = (rounds + 1).ToString(CultureInfo.InvariantCulture);
            var applied = await crane.Api.ApplyOkAsync(Specs.Probed(name, 2, health, cpu: "0.25", extra: $"env: {{VERSION: \"{version}\"}}\n"));
            Assert.Equal(generation + 1, applied.Json.GetProperty("generation").GetInt64());
            generation++;
            await Converge.AllReadyAsync(crane, name, 2, generation);
            Step($"rolled out generation {generation}");
            roundTime = clock.Elapsed - roundStart;
        }

        var scenarioDone = clock.Elapsed;
        var heyStillRunning = !hey.HasExited;

        var report = await hey.WaitAsync(TimeSpan.FromSeconds(90));
        output.WriteLine($"{hey.CommandLine}");
        output.WriteLine($"{rounds} rounds of 2→6→2 + rollout under load: {string.Join("; ", steps)}");
        output.WriteLine($"hey: {report.Describe()}");
        output.WriteLine(report.Raw);

        Assert.True(heyStillRunning,
            $"the scenario took {scenarioDone.TotalSeconds:0.0}s, longer than the {Load.TotalSeconds:0}s of load: it was not all under load ({string.Join("; ", steps)})");
        Assert.True(report.Requests > 0, $"hey sent no request:\n{report.Raw}");
        Assert.True(report.Errors.Count == 0, $"requests failed during scale and rollout: {report.Describe()}");
        Assert.True(report.StatusCodes.Keys.SequenceEqual([200]), $"non-200 responses during scale and rollout: {report.Describe()}");
        await Converge.ContainerCountAsync(crane, name, 2);
    }
}
