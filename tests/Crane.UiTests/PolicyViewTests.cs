using Crane.IntegrationTests;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Crane.UiTests;

[Collection(DashboardCollection.Name)]
public sealed class PolicyViewTests(DashboardFixture dashboard)
{
    [Fact]
    public async Task UploadingABadRegoModuleShowsTheErrorAtItsLine()
    {
        var id = Specs.UniqueName("ui-bad");
        // Line 7 never closes sprintf's parenthesis: the parser stops at the brace on line 8.
        const string module = """
            package crane.admission

            import rego.v1

            deny contains msg if {
            	input.workload.replicas > 5
            	msg := sprintf("%s: too many replicas", [input.workload.name]
            }
            """;
        await dashboard.WithPageAsync("#policies", "policies-error", async page =>
        {
            await page.Locator("#policy-id").FillAsync(id);
            await page.Locator("#policy-source").FillAsync(module);
            await page.GetByRole(AriaRole.Button, new() { Name = "Upload", Exact = true }).ClickAsync();
            await Expect(page.Locator("#policy-result")).ToContainTextAsync("Line 8, column 1:");
            await Expect(page.Locator("#policy-result")).ToContainTextAsync("expected ')'");
            await Expect(page.Locator("[data-editor=policy-source] .gutter .error-line")).ToHaveTextAsync("8");
        });

        var stored = await dashboard.Crane.Api.SendAsync(HttpMethod.Get, $"/api/v1/policies/{id}");
        Assert.True(stored.Status == System.Net.HttpStatusCode.NotFound, $"a module that does not compile was stored: {stored}");
    }

    [Fact]
    public async Task DenyPolicyUploadedInTheUiShowsTheViolationOfASpec()
    {
        var crane = dashboard.Crane;
        var id = Specs.UniqueName("ui-deny");
        var name = Specs.UniqueName("uideny");
        var module = $$"""
            package crane.admission

            import rego.v1

            deny contains sprintf("%s: workloads named uideny-* are refused", [input.workload.name]) if
            	startswith(input.workload.name, "uideny-")
            """;
        try
        {
            await dashboard.WithPageAsync("#policies", "controls-denied", async page =>
            {
                await page.Locator("#policy-id").FillAsync(id);
                await page.Locator("#policy-enforcement").SelectOptionAsync("deny");
                await page.Locator("#policy-source").FillAsync(module);
                await page.GetByRole(AriaRole.Button, new() { Name = "Upload", Exact = true }).ClickAsync();
                await Expect(page.Locator("#policy-result")).ToHaveTextAsync($"Loaded {id} (deny).", new() { Timeout = 30_000 });
                await Expect(page.Locator($"#policy-list [data-policy='{id}']")).ToBeVisibleAsync();

                await page.Locator("#dryrun-spec").FillAsync(Specs.Demo(name, replicas: 1));
                await page.GetByRole(AriaRole.Button, new() { Name = "Dry run", Exact = true }).ClickAsync();
                var dryRun = page.Locator("#dryrun-result");
                await Expect(dryRun).ToContainTextAsync("Denied by policy:", new() { Timeout = 30_000 });
                await Expect(dryRun.Locator("ul.violations li")).ToHaveTextAsync($"{id}: {name}: workloads named uideny-* are refused");

                await page.GetByRole(AriaRole.Link, new() { Name = "Controls", Exact = true }).ClickAsync();
                await page.Locator("#apply-spec").FillAsync(Specs.Demo(name, replicas: 1));
                await page.GetByRole(AriaRole.Button, new() { Name = "Apply", Exact = true }).ClickAsync();
                var applied = page.Locator("#apply-result");
                await Expect(applied).ToContainTextAsync("Denied by policy:", new() { Timeout = 30_000 });
                await Expect(applied.Locator("ul.violations li")).ToHaveTextAsync($"{id}: {name}: workloads named uideny-* are refused");
            });

            Assert.Null(await crane.Api.GetWorkloadAsync(name));
        }
        finally
        {
            await crane.Api.SendAsync(HttpMethod.Delete, $"/api/v1/policies/{id}");
            await Converge.DeleteQuietlyAsync(crane, name);
        }
    }
}
