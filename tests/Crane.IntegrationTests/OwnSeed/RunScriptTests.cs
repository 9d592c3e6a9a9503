using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Crane.IntegrationTests;

/// <summary>The first command a newcomer runs: ./run.sh (and the setup step it shares with ./test.sh), used as a user does.</summary>
[Collection(OwnCraneCollection.Name)]
public sealed partial class RunScriptTests
{
    private const int SigInt = 2;
    private static readonly TimeSpan DemoUp = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(5);

    /// <summary>A run.sh on its own data dir and free ports, whose containers carry its own crane.test label.</summary>
    private static (string DataDir, string TestId, string[] Args, Dictionary<string, string> Environment) Isolated(params string[] extra)
    {
        var testId = $"runsh-{Guid.NewGuid():N}"[..16];
        var dataDir = Path.Combine(Path.GetTempPath(), $"crane-{testId}");
        string[] args = ["--no-build", "--no-install", "--data-dir", dataDir, "--http-port", "0", "--lb-port", "0", "--prometheus-port", "0",
            "--alertmanager-port", "0", .. extra];
        var environment = new Dictionary<string, string>
        {
            ["CRANE_AKKA_PORT"] = "0",
            ["CRANE_NODE_NAME"] = $"node-{testId}",
            ["CRANE_CONTAINER_LABELS"] = $"crane.test={testId}",
        };
        return (dataDir, testId, args, environment);
    }

    [Fact]
    public async Task Run_sh_serves_the_demo_with_a_quiet_console_stops_on_ctrl_c_and_the_next_run_adopts_the_same_containers()
    {
        var (dataDir, testId, args, environment) = Isolated();
        try
        {
            IReadOnlyList<string> containers;
            await using (var first = RunScript.Start("run.sh", args, dataDir, environment))
            {
                await first.WaitForLineAsync("the demo is up: api-service 3/3 ready", DemoUp);
                var lbPort = int.Parse(await File.ReadAllTextAsync(Path.Combine(dataDir, "lb.port")), System.Globalization.CultureInfo.InvariantCulture);
                var (status, body) = await Loopback.GetAsync(lbPort, "/", "api-service");
                Assert.True(status == HttpStatusCode.OK, $"through NGINX: {status} {body}");
                AssertQuiet(first.Console);
                Assert.Contains(first.Lines, l => l.Contains("Ready", StringComparison.Ordinal) && l.Contains("replica/", StringComparison.Ordinal));
                containers = await DockerCli.PsAsync([$"crane.test={testId}", "crane.workload=api-service"], all: false);
                Assert.Equal(3, containers.Count);

                first.Signal(SigInt);
                await first.WaitUntilAllGoneAsync(StopDeadline, "Ctrl-C should end run.sh, crane-seed and the tools it owns within 5 s");
                Assert.Equal(0, first.ExitCode);
                Assert.Contains(first.Lines, l => l.Contains("Crane stopped", StringComparison.Ordinal));
            }

            // Containers keep running while Crane is stopped, and the next run adopts them instead of starting new ones.
            Assert.Equal(containers, await DockerCli.PsAsync([$"crane.test={testId}", "crane.workload=api-service"], all: false));
            await using (var second = RunScript.Start("run.sh", args, dataDir, environment))
            {
                await second.WaitForLineAsync("the demo is up: api-service 3/3 ready", DemoUp);
                AssertQuiet(second.Console);
                Assert.Equal(containers, await DockerCli.PsAsync([$"crane.test={testId}", "crane.workload=api-service"], all: true));

                // A second Ctrl-C does not wait for the graceful stop.
                second.Signal(SigInt);
                await second.WaitForLineAsync("stopping Crane", StopDeadline);
                second.Signal(SigInt);
                await second.WaitUntilAllGoneAsync(StopDeadline, "a second Ctrl-C should end every Crane process at once");
                Assert.Equal(130, second.ExitCode);
            }
        }
        finally
        {
            await DockerCli.RemoveByLabelAsync($"crane.test={testId}", TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public async Task Run_sh_stops_with_one_line_naming_the_fix_when_the_docker_engine_does_not_answer()
    {
        var (dataDir, _, args, environment) = Isolated();
        environment["DOCKER_HOST"] = $"unix://{Path.Combine(dataDir, "no-such-docker.sock")}";

        var line = await OneLineFailureAsync(args, dataDir, environment);

        Assert.Contains("Docker is not available", line, StringComparison.Ordinal);
        Assert.Contains("--runtime process", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_sh_stops_with_one_line_naming_the_fix_when_docker_is_not_installed()
    {
        var (dataDir, _, args, environment) = Isolated();
        environment["PATH"] = PathWithout(dataDir, "docker", "dockerd");

        var line = await OneLineFailureAsync(args, dataDir, environment);

        Assert.Contains("missing docker.io", line, StringComparison.Ordinal);
        Assert.Contains("apt-get install docker.io", line, StringComparison.Ordinal);
        Assert.Contains("--runtime process", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_sh_with_runtime_process_starts_without_docker()
    {
        var (dataDir, testId, args, environment) = Isolated("--runtime", "process");
        environment["PATH"] = PathWithout(dataDir, "docker", "dockerd");
        try
        {
            await using var run = RunScript.Start("run.sh", args, dataDir, environment);

            await run.WaitForLineAsync("Crane is running (all-in-one, runtime process", TimeSpan.FromMinutes(1));
            run.Signal(SigInt);
            await run.WaitUntilAllGoneAsync(StopDeadline, "Ctrl-C should end run.sh and crane-seed within 5 s");

            Assert.Equal(0, run.ExitCode);
            Assert.DoesNotContain(run.Lines, l => l.Contains("Docker", StringComparison.Ordinal));
        }
        finally
        {
            // Replicas of the process runtime outlive Crane like containers do; they carry the node's name.
            foreach (var pid in HostProcesses.WithEnvironment("CRANE_NODE", $"node-{testId}"))
                HostProcesses.Signal(pid, HostProcesses.SigKill);
        }
    }

    [Fact]
    public async Task Setup_run_again_on_a_ready_machine_installs_nothing()
    {
        // test.sh ran the setup step before this test: this is the second run on the same machine.
        var clock = Stopwatch.StartNew();
        var setup = await ProcessRunner.RunAsync(Path.Combine(RepoPaths.Root, "scripts", "setup"),
            ["--for", "test", "--log-dir", Path.Combine(Path.GetTempPath(), "crane-setup-again")], TimeSpan.FromMinutes(2));

        var said = (setup.Stdout + setup.Stderr).Trim();
        Assert.True(setup.ExitCode == 0, $"setup exited {setup.ExitCode}: {said}");
        Assert.Equal("setup: nothing to do: every package for 'test' is installed and Docker is running", said);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"took {clock.Elapsed}");
    }

    private static async Task<string> OneLineFailureAsync(string[] args, string dataDir, Dictionary<string, string> environment)
    {
        await using var run = RunScript.Start("run.sh", args, dataDir, environment);
        await Wait.Until(() => run.HasExited, TimeSpan.FromSeconds(30), "run.sh should give up at once without Docker");

        Assert.NotEqual(0, run.ExitCode);
        var lines = run.Lines.Where(l => l.Trim().Length > 0).ToList();
        Assert.True(lines.Count == 1, $"expected one line, got:\n{run.Console}");
        Assert.DoesNotContain(HostProcesses.WithCommandLine(dataDir), HostProcesses.IsAlive);
        return lines[0];
    }

    /// <summary>A PATH of links to every command on this one, except <paramref name="left"/> out.</summary>
    private static string PathWithout(string dataDir, params string[] left)
    {
        var bin = Path.Combine(dataDir, "path-bin");
        Directory.CreateDirectory(bin);
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(dir))
            {
                var link = Path.Combine(bin, Path.GetFileName(file));
                if (!left.Contains(Path.GetFileName(file)) && !File.Exists(link))
                    File.CreateSymbolicLink(link, file);
            }
        }

        return bin;
    }

    /// <summary>Only the banner, setup/run.sh lines and Normal events: no log line of Crane's, no warning or error.</summary>
    private static void AssertQuiet(string console)
    {
        var noisy = console.Split('\n').Where(l => NoisyLine().IsMatch(l)).ToList();
        Assert.True(noisy.Count == 0, $"the console should be quiet on a healthy start; noisy lines:\n{string.Join('\n', noisy)}\n--- whole console:\n{console}");
    }

    [GeneratedRegex(@"(?i)\b(warn|warning|error|fail|failed|exception|unhandled)\b|\[INFO\]|\binfo:|\bdbug:")]
    private static partial Regex NoisyLine();
}
