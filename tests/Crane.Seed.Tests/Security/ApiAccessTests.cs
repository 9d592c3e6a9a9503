using Crane.Seed.Security;

namespace Crane.Seed.Tests.Security;

public sealed class ApiAccessTests
{
    [Theory]
    // Open: liveness and readiness for supervisors, the dashboard's own files (it asks for a token itself).
    [InlineData("GET", "/healthz", null)]
    [InlineData("GET", "/readyz", null)]
    [InlineData("GET", "/", null)]
    [InlineData("GET", "/app.js", null)]
    // Reading needs a viewer; the event stream too.
    [InlineData("GET", "/api/v1/workloads", ApiRole.Viewer)]
    [InlineData("GET", "/api/v1/events/stream", ApiRole.Viewer)]
    [InlineData("GET", "/api/v1/policies/no-latest", ApiRole.Viewer)]
    [InlineData("GET", "/api/v1/no-such-path", ApiRole.Viewer)]
    // A deployer changes workloads: apply, delete, scale, restart, rebalance, break a replica.
    [InlineData("POST", "/api/v1/workloads", ApiRole.Deployer)]
    [InlineData("DELETE", "/api/v1/workloads/web", ApiRole.Deployer)]
    [InlineData("POST", "/api/v1/workloads/web/scale", ApiRole.Deployer)]
    [InlineData("POST", "/api/v1/workloads/web/restart", ApiRole.Deployer)]
    [InlineData("POST", "/api/v1/workloads/web/rebalance", ApiRole.Deployer)]
    [InlineData("POST", "/api/v1/workloads/web/replicas/ab12cd34/break", ApiRole.Deployer)]
    // Anything else that writes is the admin's: policies, rules, nodes, unknown write paths.
    [InlineData("PUT", "/api/v1/policies/no-latest", ApiRole.Admin)]
    [InlineData("DELETE", "/api/v1/policies/no-latest", ApiRole.Admin)]
    [InlineData("PUT", "/api/v1/rules", ApiRole.Admin)]
    [InlineData("POST", "/api/v1/nodes/n1/drain", ApiRole.Admin)]
    [InlineData("POST", "/api/v1/workloads/web/unknown", ApiRole.Admin)]
    [InlineData("PUT", "/api/v1/workloads/web", ApiRole.Admin)]
    // The webhook has its own role.
    [InlineData("POST", "/api/v1/alerts", ApiRole.Alertmanager)]
    public void Each_route_needs_its_role(string method, string path, ApiRole? role) =>
        Assert.Equal(role, ApiAccess.Required(method, path, metricsAuth: false));

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, ApiRole.Viewer)]
    public void Metrics_are_open_unless_asked(bool metricsAuth, ApiRole? role) =>
        Assert.Equal(role, ApiAccess.Required("GET", "/metrics", metricsAuth));

    [Theory]
    // admin ⊇ deployer ⊇ viewer; the alertmanager token only posts alerts, and only it and admin may.
    [InlineData(ApiRole.Admin, ApiRole.Admin, true)]
    [InlineData(ApiRole.Admin, ApiRole.Alertmanager, true)]
    [InlineData(ApiRole.Deployer, ApiRole.Viewer, true)]
    [InlineData(ApiRole.Deployer, ApiRole.Deployer, true)]
    [InlineData(ApiRole.Deployer, ApiRole.Admin, false)]
    [InlineData(ApiRole.Deployer, ApiRole.Alertmanager, false)]
    [InlineData(ApiRole.Viewer, ApiRole.Deployer, false)]
    [InlineData(ApiRole.Alertmanager, ApiRole.Alertmanager, true)]
    [InlineData(ApiRole.Alertmanager, ApiRole.Viewer, false)]
    public void Roles_cover_what_they_should(ApiRole role, ApiRole required, bool allowed) =>
        Assert.Equal(allowed, ApiAccess.Allows(role, required));
}
