using System.Net;
using System.Net.Sockets;
using Crane.Actors.Hosting;

namespace Crane.Actors.Tests.Hosting;

public sealed class ListenPortsTests
{
    [Fact]
    public void A_taken_http_port_is_named_with_its_flag_and_the_fix()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        var taken = ListenPorts.FirstTaken(new CraneOptions { HttpPort = port, AkkaPort = 0 });

        Assert.Equal($"port {port} (--http-port) on 127.0.0.1 is in use; stop what holds it (ss -ltnp 'sport = :{port}') or choose another (--http-port 0 picks a free one)", taken);
    }

    [Fact]
    public void A_taken_akka_port_is_named_too()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        Assert.StartsWith($"port {port} (--akka-port)", ListenPorts.FirstTaken(new CraneOptions { HttpPort = 0, AkkaPort = port }));
    }

    [Fact]
    public void Free_ports_and_port_zero_pass()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        Assert.Null(ListenPorts.FirstTaken(new CraneOptions { HttpPort = port, AkkaPort = 0 }));
    }
}
