using System.Net;
using System.Net.Sockets;

namespace Crane.Actors.Hosting;

/// <summary>
/// Checks, before anything starts, that the ports this process must listen on are free: a taken HTTP or Akka port
/// otherwise surfaces as a stack trace in the log and an exit code 0 (the actor system's shutdown exits the process).
/// </summary>
public static class ListenPorts
{
    /// <summary>A one-line message naming the first taken port and its flag, or null when every fixed port is free (0 means any).</summary>
    public static string? FirstTaken(CraneOptions options)
    {
        foreach (var (host, port, flag) in new[] { (options.HttpBind, options.HttpPort, "--http-port"), (options.Hostname, options.AkkaPort, "--akka-port") })
        {
            if (port != 0 && !Free(host, port))
                return $"port {port} ({flag}) on {host} is in use; stop what holds it (ss -ltnp 'sport = :{port}') or choose another ({flag} 0 picks a free one)";
        }

        return null;
    }

    private static bool Free(string host, int port)
    {
        var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).FirstOrDefault() ?? IPAddress.Loopback;
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        // As Kestrel and Akka bind: connections of an earlier run in TIME_WAIT do not make the port taken.
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        try
        {
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
    }
}
