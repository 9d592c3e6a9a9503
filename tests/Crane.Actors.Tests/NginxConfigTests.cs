using Crane.Actors.LoadBalancing;

namespace Crane.Actors.Tests;

public sealed class NginxConfigTests
{
    private static readonly WorkloadBackends Web = new("web-api", [new Endpoint("b", "127.0.0.1", 32001), new Endpoint("a", "127.0.0.1", 32000)]);
    private static readonly WorkloadBackends Empty = new("idle", []);

    [Fact]
    public void Each_routed_workload_gets_an_upstream_of_its_ready_endpoints_in_replica_order()
    {
        var config = NginxConfig.Render("/p", 8081, [Web]);

        Assert.Contains("upstream crane_web_api {\n    server 127.0.0.1:32000 max_fails=0; # a\n    server 127.0.0.1:32001 max_fails=0; # b\n  }", config);
    }

    [Fact]
    public void A_workload_is_reached_by_host_header_and_by_path_prefix()
    {
        var config = NginxConfig.Render("/p", 8081, [Web]);

        Assert.Contains("server_name web-api;", config);
        Assert.Contains("location /web-api/ {\n      proxy_pass http://crane_web_api/;", config);
        Assert.Contains("listen 127.0.0.1:8081 default_server;", config);
    }

    [Fact]
    public void A_workload_without_ready_replicas_answers_503_and_has_no_empty_upstream()
    {
        var config = NginxConfig.Render("/p", 8081, [Empty]);

        Assert.DoesNotContain("upstream crane_idle", config);
        Assert.Contains("return 503 \"no ready replicas of idle\\n\";", config);
    }

    [Fact]
    public void Rendering_is_deterministic_whatever_the_input_order()
    {
        Assert.Equal(NginxConfig.Render("/p", 1, [Web, Empty]), NginxConfig.Render("/p", 1, [Empty, Web]));
    }

    [Fact]
    public void Every_path_nginx_writes_is_under_the_prefix()
    {
        var config = NginxConfig.Render("/data/nginx", 8081, []);

        foreach (var directive in new[] { "pid", "error_log", "client_body_temp_path", "proxy_temp_path" })
            Assert.Contains($"{directive} /data/nginx/", config);
    }
}
