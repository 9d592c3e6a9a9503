using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Crane.Actors.Events;
using Crane.Actors.Hosting;
using Crane.Actors.LoadBalancing;
using Crane.Contracts.Messages;

namespace Crane.Actors.Tests;

/// <summary>Against a real NGINX (package nginx-light) and real HTTP backends on loopback.</summary>
public sealed class LoadBalancerActorTests : TestKit, IDisposable
{
    private readonly string _prefix = Directory.CreateTempSubdirectory("crane-lb-test-").FullName;
    private readonly int _port = FreePort();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly List<HttpListener> _backends = [];

    public LoadBalancerActorTests() : base(TestConfig.Cluster)
    {
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A tiny HTTP server answering every request with its name.</summary>
    private int Backend(string name)
    {
        var port = FreePort();
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://+:{port}/");
        listener.Start();
        _backends.Add(listener);
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext ctx;
                try
                {
                    ctx = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                var body = System.Text.Encoding.UTF8.GetBytes(name);
                ctx.Response.OutputStream.Write(body);
                ctx.Response.Close();
            }
        });
        return port;
    }

    private IActorRef StartLoadBalancer() =>
        Sys.ActorOf(LoadBalancerActor.Props(
            new LoadBalancerOptions(_prefix, _port, CraneOptions.Parse([], 0, new Dictionary<string, string?>()).Nginx, TimeSpan.FromMilliseconds(50)),
            new EventPublisher(Sys, TimeProvider.System)));

    private async Task<string> Get(string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_port}/");
        request.Headers.Host = host;
        using var response = await _http.SendAsync(request);
        return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}".Trim();
    }

    private string _lastAnswer = "(nothing yet)";

    private async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting until {what}; last answer: {_lastAnswer}; nginx error log: {TryRead(Path.Combine(_prefix, "error.log"))}");
            await Task.Delay(100);
        }
    }

    private static string TryRead(string path) => File.Exists(path) ? File.ReadAllText(path) : "(none)";

    private async Task<bool> Answers(string host, string expected)
    {
        try
        {
            _lastAnswer = await Get(host);
            return _lastAnswer == expected;
        }
        catch (HttpRequestException e)
        {
            _lastAnswer = e.Message;
            return false;
        }
    }

    [Fact]
    public async Task Routes_a_workload_to_its_ready_endpoints_and_follows_changes()
    {
        var a = Backend("a");
        var b = Backend("b");
        var lb = StartLoadBalancer();

        lb.Tell(new WorkloadEndpoints("web", true, [new ReplicaEndpoint("r1", "127.0.0.1", a)]));
        await Eventually(() => Answers("web", "200 a"), "web is served by backend a");

        lb.Tell(new WorkloadEndpoints("web", true, [new ReplicaEndpoint("r2", "127.0.0.1", b)]));
        await Eventually(() => Answers("web", "200 b"), "web moved to backend b");

        lb.Tell(new WorkloadEndpoints("web", true, []));
        await Eventually(() => Answers("web", "503 no ready replicas of web"), "web without ready replicas answers 503");

        lb.Tell(new WorkloadEndpoints("web", false, []));
        await Eventually(async () => (await Get("web")).StartsWith("404", StringComparison.Ordinal), "an unrouted workload is gone");
    }

    [Fact]
    public async Task A_config_that_fails_nginx_t_never_replaces_the_running_one()
    {
        var a = Backend("a");
        var lb = StartLoadBalancer();
        lb.Tell(new WorkloadEndpoints("web", true, [new ReplicaEndpoint("r1", "127.0.0.1", a)]));
        await Eventually(() => Answers("web", "200 a"), "web is served by backend a");
        var good = await File.ReadAllTextAsync(Path.Combine(_prefix, "nginx.conf"));

        // Port 0 is rejected by nginx -t ("invalid port in upstream").
        lb.Tell(new WorkloadEndpoints("web", true, [new ReplicaEndpoint("r9", "127.0.0.1", 0)]));

        await Eventually(async () => (await lb.Ask<LoadBalancerStatus>(GetLoadBalancer.Instance)).LastError is not null, "the bad config was rejected");
        var status = await lb.Ask<LoadBalancerStatus>(GetLoadBalancer.Instance);
        Assert.Contains("invalid port", status.LastError);
        Assert.Equal(good, await File.ReadAllTextAsync(Path.Combine(_prefix, "nginx.conf")));
        Assert.Equal("200 a", await Get("web"));
    }

    [Fact]
    public async Task A_killed_nginx_is_restarted_and_routes_again()
    {
        var lb = StartLoadBalancer();
        lb.Tell(new WorkloadEndpoints("web", true, [new ReplicaEndpoint("r1", "127.0.0.1", Backend("a"))]));
        await Eventually(() => Answers("web", "200 a"), "NGINX routes web to a");
        var pidFile = Path.Combine(_prefix, "nginx.pid");
        var first = int.Parse((await File.ReadAllTextAsync(pidFile)).Trim(), System.Globalization.CultureInfo.InvariantCulture);

        using (var master = System.Diagnostics.Process.GetProcessById(first))
            master.Kill(entireProcessTree: true);

        await Eventually(async () => (await lb.Ask<LoadBalancerStatus>(GetLoadBalancer.Instance)).LastError?.Contains("exited", StringComparison.Ordinal) == true,
            "the load balancer noticed the exit");
        await Eventually(async () => File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), out var pid) && pid != first &&
            await Answers("web", "200 a"), "a new NGINX master routes web to a again");
    }

    [Fact]
    public async Task Stopping_the_actor_stops_its_nginx()
    {
        var lb = StartLoadBalancer();
        var pidFile = Path.Combine(_prefix, "nginx.pid");
        // The master writes its pid file a moment after the process starts.
        var pid = 0;
        await Eventually(async () => (await lb.Ask<LoadBalancerStatus>(GetLoadBalancer.Instance)).Running &&
            File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), out pid), "nginx runs and wrote its pid file");

        Watch(lb);
        Sys.Stop(lb);
        ExpectTerminated(lb);

        await Eventually(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), $"nginx master {pid} exited");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        foreach (var b in _backends)
            b.Close();
        _http.Dispose();
        try
        {
            Directory.Delete(_prefix, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
