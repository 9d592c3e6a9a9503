using System.Runtime.InteropServices;

namespace Crane.Actors.LoadBalancing;

/// <summary>POSIX signals for processes Crane started itself (.NET only offers SIGKILL).</summary>
internal static partial class Signals
{
    public const int Hangup = 1;
    public const int Quit = 3;
    public const int Terminate = 15;

    public static bool Send(int pid, int signal) => kill(pid, signal) == 0;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
