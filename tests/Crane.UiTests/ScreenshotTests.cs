using System.Text.RegularExpressions;
using Crane.IntegrationTests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Crane.UiTests;

/// <summary>
/// A tour of every view with an autoscaled workload running; screenshots land in screenshots/ beside the test assembly.
/// With CRANE_UPDATE_DOCS_SCREENSHOT=1 the workloads view is also copied to docs/screenshot-dashboard.png.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed partial class ScreenshotTests(DashboardFixture dashboard)
{
    [Fact]
    public async Task EveryViewRendersWithAnAutoscaledWorkload()
    {
        var crane = dashboard.Crane;
        var name = Specs.UniqueName("web");
        try
        {
            await crane.Api.ApplyOkAsync(Specs.Demo(name, replicas: 2) + "autoscaling: {min: 1, max: 4, metric: cpu, target: 50}\n");
            await Converge.AllReadyAsync(crane, name, 2);
            await dashboard.WithPageAsync($"#workloads/{name}", "controls", async page =>
            {
                var detail = page.Locator($"#workload-detail [data-workload='{name}']");
                await Expect(detail.Locator(".autoscaler-detail")).ToContainTextAsync(CpuMeasured(), new() { Timeout = 60_000 });
                await Expect(detail.Locator(".autoscaler-detail")).ToContainTextAsync("ScalingActive");
                await Expect(page.Locator($"#workloads tr[data-workload='{name}'] td.autoscaler")).ToContainTextAsync("cpu ");
                // Ready, desired, the cpu and its target: four lines, once a few samples are in.
                await Expect(detail.Locator("svg.chart path.series")).ToHaveCountAsync(4, new() { Timeout = 60_000 });
                await page.WaitForFunctionAsync("() => Number(document.querySelector('.chart-box')?.dataset.samples) >= 8",
                    null, new PageWaitForFunctionOptions { Timeout = 60_000 });
                await DashboardFixture.ScreenshotAsync(page, "workloads");

                await page.GetByRole(AriaRole.Link, new() { Name = "Cluster", Exact = true }).ClickAsync();
                await Expect(page.Locator("#members td.node")).ToHaveTextAsync(crane.NodeName);
                await Expect(page.Locator($"#nodes [data-node='{crane.NodeName}']")).ToContainTextAsync("2 replicas");
                await DashboardFixture.ScreenshotAsync(page, "cluster");

                await page.GetByRole(AriaRole.Link, new() { Name = "Events", Exact = true }).ClickAsync();
                await Expect(page.Locator($"#events tbody tr[data-workload='{name}']").First).ToBeVisibleAsync();
                await DashboardFixture.ScreenshotAsync(page, "events");

                await page.GetByRole(AriaRole.Link, new() { Name = "Policies", Exact = true }).ClickAsync();
                await Expect(page.Locator("#policy-list")).Not.ToBeEmptyAsync();
                await DashboardFixture.ScreenshotAsync(page, "policies");

                await page.GetByRole(AriaRole.Link, new() { Name = "Rules", Exact = true }).ClickAsync();
                await Expect(page.Locator("#rules-yaml")).ToHaveValueAsync(new Regex("groups:"));
                await DashboardFixture.ScreenshotAsync(page, "rules");

                await page.GetByRole(AriaRole.Link, new() { Name = "Controls", Exact = true }).ClickAsync();
                await Expect(page.Locator("#action-workload option", new() { HasText = name })).ToHaveCountAsync(1);
            });

            if (Environment.GetEnvironmentVariable("CRANE_UPDATE_DOCS_SCREENSHOT") == "1")
                File.Copy(DashboardFixture.ScreenshotPath("workloads"), Path.Combine(RepoPaths.Root, "docs", "screenshot-dashboard.png"), overwrite: true);
        }
        finally
        {
            await Converge.DeleteQuietlyAsync(crane, name);
        }
    }

    [GeneratedRegex(@"cpu at \d")]
    private static partial Regex CpuMeasured();
}
