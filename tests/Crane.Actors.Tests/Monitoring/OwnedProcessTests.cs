using Crane.Actors.Monitoring;

namespace Crane.Actors.Tests.Monitoring;

public sealed class OwnedProcessTests
{
    [Fact]
    public void The_exit_message_carries_the_last_line_the_server_logged()
    {
        var log = Path.GetTempFileName();
        File.WriteAllLines(log, ["level=info msg=\"Starting\"", "level=error msg=\"listen tcp 127.0.0.1:9090: bind: address already in use\"", "", "  "]);

        var message = OwnedProcess.ExitMessage("prometheus", 1, log);

        Assert.Equal($"prometheus exited with code 1: level=error msg=\"listen tcp 127.0.0.1:9090: bind: address already in use\"; see {log}", message);
    }

    [Fact]
    public void Without_a_log_the_exit_message_says_only_the_code()
    {
        var log = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.log");

        Assert.Equal($"nginx exited with code 2; see {log}", OwnedProcess.ExitMessage("nginx", 2, log));
    }
}
