using System.Diagnostics;

namespace Crane.IntegrationTests.Cli;

/// <summary>
/// Runs the built <c>crane</c> binary (<see cref="RepoPaths.CliBinary"/>) as a user would. CRANE_* variables of the test
/// run are not passed on, and HOME is an empty folder (no ~/.crane/config), so only what a test sets reaches the CLI.
/// </summary>
internal sealed class CraneCli(string? server, string? token = null)
{
    private static readonly string EmptyHome = Directory.CreateTempSubdirectory("crane-cli-home-").FullName;

    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    /// <summary>The CLI with <c>--server</c> pointing at <paramref name="crane"/>.</summary>
    public static CraneCli For(CraneProcess crane) => new(crane.Api.BaseAddress.ToString().TrimEnd('/'), crane.Api.Token);

    /// <summary>The CLI with no <c>--server</c> flag (for tests of CRANE_SERVER and of errors that need no server).</summary>
    public static CraneCli Bare => new(null);

    /// <summary>Runs <c>crane [--server URL] args</c>, with <paramref name="stdin"/> and extra environment variables.</summary>
    public async Task<ProcessResult> RunAsync(IEnumerable<string> args, string? stdin = null, IReadOnlyDictionary<string, string>? env = null)
    {
        using var process = Process.Start(StartInfo(args, env)) ?? throw new InvalidOperationException("could not start crane");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
            await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(Deadline);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`crane {string.Join(' ', process.StartInfo.ArgumentList)}` did not finish within {Deadline.TotalSeconds:0}s");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    public Task<ProcessResult> RunAsync(params string[] args) => RunAsync(args, stdin: null);

    /// <summary>Runs and insists on exit code 0; returns stdout.</summary>
    public async Task<string> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"`crane {string.Join(' ', args)}` exited {result.ExitCode}\nstdout: {result.Stdout}\nstderr: {result.Stderr}");
        return result.Stdout;
    }

    /// <summary>Starts a long-running command (e.g. <c>events -w</c>) whose stdout lines are collected as they come.</summary>
    public CraneCliProcess Start(params string[] args) => CraneCliProcess.Start(StartInfo(args, null));

    private ProcessStartInfo StartInfo(IEnumerable<string> args, IReadOnlyDictionary<string, string>? env)
    {
        var start = new ProcessStartInfo(RepoPaths.CliBinary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (server is not null)
        {
            start.ArgumentList.Add("--server");
            start.ArgumentList.Add(server);
        }

        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("CRANE_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        start.Environment["HOME"] = EmptyHome;
        if (token is not null)
            start.Environment["CRANE_TOKEN"] = token;
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        return start;
    }
}

/// <summary>A running <c>crane</c> command; disposing kills it (by its Process object) if it still runs.</summary>
internal sealed class CraneCliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    private CraneCliProcess(Process process) => _process = process;

    public static CraneCliProcess Start(ProcessStartInfo start)
    {
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var cli = new CraneCliProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (cli._stdout) cli._stdout.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (cli._stderr) cli._stderr.Add(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_stdout)
                return _stdout.ToList();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
                return string.Join('\n', _stderr);
        }
    }

    /// <summary>Waits until a line of stdout matches; fails (with what was printed) if the process exits or the deadline passes first.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var lines = await Wait.Until(
            () => Task.FromResult(Lines),
            l => l.Any(match) || _process.HasExited,
            timeout,
            $"crane printed no line with {what}",
            l => $"stdout:\n{string.Join('\n', l)}\nstderr:\n{Stderr}");
        if (lines.FirstOrDefault(match) is { } line)
            return line;
        _process.WaitForExit(); // drains the output still in flight
        return Lines.FirstOrDefault(match) ?? throw new Xunit.Sdk.XunitException(
            $"crane exited with {_process.ExitCode} before printing a line with {what}\nstdout:\n{string.Join('\n', Lines)}\nstderr:\n{Stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
        }
        finally
        {
            _process.Dispose();
        }
    }
}
