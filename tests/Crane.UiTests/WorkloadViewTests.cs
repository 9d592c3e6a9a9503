using System.Net;
using Crane.IntegrationTests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Crane.UiTests;

[Collection(DashboardCollection.Name)]
public sealed class WorkloadViewTests(DashboardFixture dashboard)
{
    private static readonly float ConvergeMs = (float)DashboardFixture.Converge.TotalMilliseconds;

    [Fact]
    public async Task ApplyingASpecFromTheUiShowsItsReplicasLive()
    {
        var name = Specs.UniqueName("ui-apply");
        try
        {
            await dashboard.WithPageAsync("#controls", "workloads-applied", async page =>
            {
                await MarkPageAsync(page);
                await page.Locator("#apply-spec").FillAsync(Specs.Demo(name, replicas: 2));
                await page.GetByRole(AriaRole.Button, new() { Name = "Apply", Exact = true }).ClickAsync();
                await Expect(page.Locator("#apply-result")).ToContainTextAsync($"Created {name} (generation 1).", new() { Timeout = 30_000 });

                await page.GetByRole(AriaRole.Link, new() { Name = "Workloads", Exact = true }).ClickAsync();
                var row = page.Locator($"#workloads tr[data-workload='{name}']");
                await Expect(row.Locator("td.ready")).ToHaveTextAsync("2/2", new() { Timeout = ConvergeMs });
                await Expect(row.Locator("td.per-node")).ToHaveTextAsync($"{dashboard.Crane.NodeName} ×2");

                await row.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
                var replicas = page.Locator("#workload-detail table.replicas tbody tr");
                await Expect(replicas).ToHaveCountAsync(2);
                await Expect(replicas.Locator("td.state")).ToHaveTextAsync(["Running", "Running"]);
                await AssertSamePageAsync(page);
            });

            var workload = await dashboard.Crane.Api.GetExistingWorkloadAsync(name);
            Assert.Equal(2, workload.ReadyReplicas);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(dashboard.Crane, name);
        }
    }

    [Fact]
    public async Task ScalingFromTheUiChangesTheReplicaCountAndDeleteAsksFirst()
    {
        var crane = dashboard.Crane;
        var name = Specs.UniqueName("ui-scale");
        try
        {
            await crane.Api.ApplyOkAsync(Specs.Demo(name, replicas: 1));
            await dashboard.WithPageAsync($"#controls/{name}", "controls-scale", async page =>
            {
                await MarkPageAsync(page);
                await page.Locator("#action-workload").SelectOptionAsync(name);
                await page.Locator("#scale-replicas").FillAsync("3");
                await page.GetByRole(AriaRole.Button, new() { Name = "Scale", Exact = true }).ClickAsync();
                await Expect(page.Locator("#action-result")).ToHaveTextAsync($"Scaling {name} to 3 replicas.", new() { Timeout = 30_000 });

                await page.GetByRole(AriaRole.Link, new() { Name = "Workloads", Exact = true }).ClickAsync();
                await Expect(page.Locator($"#workloads tr[data-workload='{name}'] td.ready")).ToHaveTextAsync("3/3", new() { Timeout = ConvergeMs });
                Assert.Equal(3, (await crane.Api.GetExistingWorkloadAsync(name)).DesiredReplicas);

                // Delete shows a confirmation first: Cancel keeps the workload, Delete removes it.
                await page.GetByRole(AriaRole.Link, new() { Name = "Controls", Exact = true }).ClickAsync();
                await page.Locator("#action-workload").SelectOptionAsync(name);
                await page.GetByRole(AriaRole.Button, new() { Name = "Delete…" }).ClickAsync();
                var dialog = page.Locator("dialog#confirm");
                await Expect(dialog).ToContainTextAsync($"Delete {name}?");
                await Expect(dialog).ToContainTextAsync("3 replicas");
                await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
                await Expect(dialog).ToBeHiddenAsync();
                Assert.NotNull(await crane.Api.GetWorkloadAsync(name));

                await page.GetByRole(AriaRole.Button, new() { Name = "Delete…" }).ClickAsync();
                await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
                await Expect(page.Locator("#action-result")).ToHaveTextAsync($"Deleted {name}.", new() { Timeout = 30_000 });
                await page.GetByRole(AriaRole.Link, new() { Name = "Workloads", Exact = true }).ClickAsync();
                await Expect(page.Locator($"#workloads tr[data-workload='{name}']")).ToHaveCountAsync(0, new() { Timeout = ConvergeMs });
                await AssertSamePageAsync(page);
            });
            Assert.Null(await crane.Api.GetWorkloadAsync(name));
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(crane, name);
        }
    }

    [Fact]
    public async Task BreakingAReplicaShowsItNotReady()
    {
        var crane = dashboard.Crane;
        var name = Specs.UniqueName("ui-break");
        try
        {
            await crane.Api.ApplyOkAsync(Specs.Demo(name, replicas: 1));
            var replica = (await Converge.AllReadyAsync(crane, name, 1)).Replicas.Single();
            await dashboard.WithPageAsync("#controls", "controls-break", async page =>
            {
                await page.Locator("#break-replica").SelectOptionAsync($"{name}/{replica.Id}");
                await page.Locator("#break-switch").SelectOptionAsync("ready");
                await page.GetByRole(AriaRole.Button, new() { Name = "Break", Exact = true }).ClickAsync();
                await Expect(page.Locator("#break-result")).ToHaveTextAsync(
                    $"{name} · {replica.Id}: switch 'ready' set (/fail/ready answered 200).", new() { Timeout = 15_000 });

                await page.GetByRole(AriaRole.Link, new() { Name = "Workloads", Exact = true }).ClickAsync();
                await page.Locator($"#workloads tr[data-workload='{name}'] a").ClickAsync();
                var row = page.Locator($"#workload-detail tr[data-replica='{replica.Id}']");
                await Expect(row.Locator("td.ready")).ToHaveTextAsync("not ready", new() { Timeout = ConvergeMs });
                await Expect(row.Locator("td.state")).ToHaveTextAsync("Running");
                await Expect(page.Locator($"#workloads tr[data-workload='{name}'] td.ready")).ToHaveTextAsync("0/1");
            });

            var (status, body) = await Loopback.GetAsync(replica.HostPort!.Value, "/ready");
            Assert.True(status == HttpStatusCode.ServiceUnavailable, $"the replica's /ready answered {(int)status}: {body}");
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(crane, name);
        }
    }

    private static Task MarkPageAsync(IPage page) => page.EvaluateAsync("() => { window.craneTestMarker = 'no reload'; }");

    /// <summary>The marker survives only if the page never reloaded: everything above happened live.</summary>
    private static async Task AssertSamePageAsync(IPage page) =>
        Assert.Equal("no reload", await page.EvaluateAsync<string?>("() => window.craneTestMarker ?? null"));
}
