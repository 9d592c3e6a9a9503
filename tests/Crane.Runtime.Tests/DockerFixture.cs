using System.Diagnostics;

namespace Crane.Runtime.Tests;

/// <summary>Checks the engine answers, creates the <c>crane</c> network and builds <c>crane/demo:latest</c>
/// once for every Docker test. Without Docker the tests fail with this message; they never skip.</summary>
public sealed class DockerFixture : IAsyncLifetime
{
    public const string DemoImage = "crane/demo:latest";

    public DockerRuntime Runtime { get; } = new(DockerRuntime.DefaultEndpoint());

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await Runtime.PrepareAsync(cts.Token);
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException(
                $"These tests need a running Docker engine at {Runtime.Endpoint} (start dockerd, see ENVIRONMENT.md): {ex.Message}", ex);
        }

        var build = await Cli.RunAsync("bash", [Path.Combine(RepoRoot(), "images", "demo", "build.sh")], TimeSpan.FromMinutes(2));
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"images/demo/build.sh failed ({build.ExitCode}): {build.Output}");
        }
    }

    public async Task DisposeAsync() => await Runtime.DisposeAsync();

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Crane.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Crane.sln not found above {AppContext.BaseDirectory}");
    }
}

[CollectionDefinition(Name)]
public sealed class DockerCollection : ICollectionFixture<DockerFixture>
{
    public const string Name = "docker";
}

internal static class Cli
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish within {timeout}");
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }
}

internal static class Eventually
{
    /// <summary>Polls <paramref name="probe"/> until it returns a value, failing with <paramref name="what"/> at the deadline.</summary>
    public static async Task<T> WaitAsync<T>(Func<Task<T?>> probe, TimeSpan deadline, string what)
        where T : class
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < deadline)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
            {
                last = ex;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"Timed out after {deadline.TotalSeconds:0.#}s waiting for {what}" +
                                   (last is null ? "" : $" (last error: {last.Message})"));
    }
}
