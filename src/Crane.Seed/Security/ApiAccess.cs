namespace Crane.Seed.Security;

/// <summary>Who may do what: viewer reads, deployer also changes workloads, admin everything; alertmanager only posts alerts.</summary>
public enum ApiRole
{
    Viewer,
    Deployer,
    Admin,
    Alertmanager,
}

/// <summary>The role each API route needs, from its method and path alone (one table, tested without a server).</summary>
public static class ApiAccess
{
    /// <summary>The role <paramref name="method"/> <paramref name="path"/> needs; null for what is open (health, readiness, the dashboard's files).</summary>
    public static ApiRole? Required(string method, string path, bool metricsAuth)
    {
        if (path is "/healthz" or "/readyz")
            return null;
        if (path == "/metrics")
            return metricsAuth ? ApiRole.Viewer : null;
        if (!path.StartsWith("/api/", StringComparison.Ordinal) && path != "/api")
            return null;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
            return ApiRole.Viewer;
        if (HttpMethods.IsPost(method) && path == "/api/v1/alerts")
            return ApiRole.Alertmanager;
        return IsWorkloadWrite(method, path.Split('/', StringSplitOptions.RemoveEmptyEntries)) ? ApiRole.Deployer : ApiRole.Admin;
    }

    /// <summary>Does <paramref name="role"/> cover <paramref name="required"/>? Admin also posts alerts; alertmanager does nothing else.</summary>
    public static bool Allows(ApiRole role, ApiRole required) => (role, required) switch
    {
        (ApiRole.Admin, _) => true,
        (ApiRole.Alertmanager, ApiRole.Alertmanager) => true,
        (ApiRole.Alertmanager, _) or (_, ApiRole.Alertmanager) => false,
        _ => role >= required,
    };

    // ["api","v1","workloads", name?, action?, ...]: apply, delete, scale, restart, rebalance, break a replica.
    private static bool IsWorkloadWrite(string method, string[] segments)
    {
        if (segments is not ["api", "v1", "workloads", ..])
            return false;
        return segments switch
        {
            [_, _, _] => HttpMethods.IsPost(method),
            [_, _, _, _] => HttpMethods.IsDelete(method),
            [_, _, _, _, "scale" or "restart" or "rebalance"] => HttpMethods.IsPost(method),
            [_, _, _, _, "replicas", _, "break"] => HttpMethods.IsPost(method),
            _ => false,
        };
    }
}
