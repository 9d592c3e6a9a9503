using System.Net;

namespace Crane.IntegrationTests;

/// <summary>Plain HTTP to 127.0.0.1, for talking to replicas on their published host ports.</summary>
internal static class Loopback
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    public static async Task<(HttpStatusCode Status, string Body)> GetAsync(int port, string path = "/")
    {
        using var response = await Client.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>GET with an explicit <c>Host</c> header (NGINX picks the workload by it); a new connection each time.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> GetAsync(int port, string path, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{port}{path}"));
        request.Headers.Host = host;
        using var response = await Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A loopback port nothing listens on right now (the OS picks it; free to bind, or to use as a closed port).</summary>
    public static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True when nothing accepts connections on the port any more.</summary>
    public static async Task<bool> RefusesAsync(int port)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            return false;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
