using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Crane.UiTests;

[Collection(DashboardCollection.Name)]
public sealed class RulesViewTests(DashboardFixture dashboard)
{
    [Fact]
    public async Task RulesViewShowsTheServedRulesAndPromtoolsErrorForBadOnes()
    {
        var before = (await dashboard.Crane.Api.SendAsync(HttpMethod.Get, "/api/v1/rules")).Body;
        await dashboard.WithPageAsync("#rules", "rules", async page =>
        {
            var editor = page.Locator("#rules-yaml");
            await Expect(editor).ToHaveValueAsync(before, new() { Timeout = 15_000 });

            // promtool reports the expression's position in the file: line 5, column 15.
            await editor.FillAsync("groups:\n  - name: ui-test\n    rules:\n      - alert: Broken\n        expr: up ==\n");
            await page.GetByRole(AriaRole.Button, new() { Name = "Validate and upload" }).ClickAsync();
            var result = page.Locator("#rules-result");
            await Expect(result).ToContainTextAsync("rejected by promtool", new() { Timeout = 30_000 });
            await Expect(result).ToContainTextAsync("Line 5, column 15:");
            await Expect(page.Locator("[data-editor=rules-yaml] .gutter .error-line")).ToHaveTextAsync("5");
        });

        Assert.Equal(before, (await dashboard.Crane.Api.SendAsync(HttpMethod.Get, "/api/v1/rules")).Body);
    }
}
