using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Crane.Actors.Tests.Monitoring;

/// <summary>
/// A /metrics endpoint on a free loopback port for a real Prometheus to scrape: <c>answer</c> maps a request path to a
/// Prometheus text body (null: 404). A scrape Prometheus gave up on (timeout under load) is logged, and the next is answered.
/// </summary>
internal sealed class LoopbackMetricsServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<string, string?> _answer;
    private readonly Action<string> _log;

    public LoopbackMetricsServer(Func<string, string?> answer, Action<string>? log = null)
    {
        _answer = answer;
        _log = log ?? (_ => { });
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary>host:port, as a scrape target.</summary>
    public string Target => $"127.0.0.1:{Port}";

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            try
            {
                if (_answer(ctx.Request.Url!.AbsolutePath) is { } body)
                {
                    ctx.Response.ContentType = "text/plain; version=0.0.4";
                    ctx.Response.OutputStream.Write(Encoding.UTF8.GetBytes(body));
                }
                else
                {
                    ctx.Response.StatusCode = 404;
                }

                ctx.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                _log($"metrics endpoint: {e.Message}");
            }
        }
    }

    public void Dispose() => _listener.Close();
}
