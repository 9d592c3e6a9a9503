using System.Text.Json;

namespace Crane.IntegrationTests;

/// <summary>The docker command line, for checking what Crane did from the outside.</summary>
public static class DockerCli
{
    public const string DemoImage = "crane/demo:latest";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private static readonly SemaphoreSlim ImageLock = new(1, 1);
    private static bool _imageChecked;

    /// <summary>Runs <c>docker args...</c> and returns stdout; a non-zero exit throws with stderr.</summary>
    public static async Task<string> RunAsync(params string[] args)
    {
        var result = await TryRunAsync(args);
        return result.ExitCode == 0
            ? result.Stdout
            : throw new InvalidOperationException($"`docker {string.Join(' ', args)}` exited {result.ExitCode}: {result.Stderr.Trim()}");
    }

    internal static async Task<ProcessResult> TryRunAsync(params string[] args)
    {
        try
        {
            return await ProcessRunner.RunAsync("docker", args, CommandTimeout);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"the docker CLI is not installed ({ex.Message}); these tests need Docker (test.sh installs docker.io and starts dockerd). They never skip.", ex);
        }
    }

    /// <summary>Fails with a clear message when the engine does not answer: these tests need Docker and never skip (CI included).</summary>
    public static async Task EnsureEngineAsync()
    {
        var info = await TryRunAsync("info", "--format", "{{.ServerVersion}}");
        if (info.ExitCode != 0 || string.IsNullOrWhiteSpace(info.Stdout))
        {
            throw new InvalidOperationException(
                "the Docker engine does not answer `docker info`; start dockerd (test.sh does) — integration tests need it and never skip. " +
                $"docker said: {info.Stderr.Trim()}");
        }
    }

    /// <summary>Builds crane/demo:latest with images/demo/build.sh when it is missing (once per test run).</summary>
    public static async Task EnsureDemoImageAsync()
    {
        await ImageLock.WaitAsync();
        try
        {
            if (_imageChecked)
                return;
            if (!await ImageExistsAsync(DemoImage))
            {
                var script = Path.Combine(RepoPaths.Root, "images", "demo", "build.sh");
                var build = await ProcessRunner.RunAsync("bash", [script], TimeSpan.FromMinutes(3));
                if (build.ExitCode != 0 || !await ImageExistsAsync(DemoImage))
                    throw new InvalidOperationException($"{script} failed ({build.ExitCode}): {build.Stdout}{build.Stderr}");
            }

            _imageChecked = true;
        }
        finally
        {
            ImageLock.Release();
        }
    }

    public static async Task<bool> ImageExistsAsync(string image) =>
        (await TryRunAsync("image", "inspect", "--format", "{{.Id}}", image)).ExitCode == 0;

    /// <summary>Full ids of containers carrying every given label (<c>key=value</c>); <paramref name="all"/> includes stopped ones.</summary>
    public static async Task<IReadOnlyList<string>> PsAsync(IEnumerable<string> labels, bool all = true)
    {
        var args = new List<string> { "ps", "-q", "--no-trunc" };
        if (all)
            args.Add("-a");
        foreach (var label in labels)
            args.AddRange(["--filter", $"label={label}"]);
        var output = await RunAsync([.. args]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Containers of one workload started by one crane-seed (its <c>crane.test</c> label).</summary>
    public static Task<IReadOnlyList<string>> WorkloadContainersAsync(string testId, string workload, bool all = true) =>
        PsAsync([$"crane.test={testId}", $"crane.workload={workload}"], all);

    public static async Task<JsonElement> InspectAsync(string containerId)
    {
        var json = await RunAsync("inspect", containerId);
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement[0].Clone();
    }

    public static Task KillAsync(string containerId) => RunAsync("kill", containerId);

    public static Task RemoveForceAsync(string containerId) => RunAsync("rm", "-f", containerId);

    /// <summary>Kills the running containers that carry <paramref name="label"/> (<c>key=value</c>).</summary>
    public static async Task<int> KillByLabelAsync(string label)
    {
        var ids = await PsAsync([label], all: false);
        foreach (var id in ids)
            await TryRunAsync("kill", id);
        return ids.Count;
    }

    /// <summary>
    /// Force-removes every container, running or not, that carries <paramref name="label"/> (<c>key=value</c>), and keeps
    /// doing so until none has appeared for <paramref name="settle"/>: a create the engine was still serving when its
    /// client (a killed crane-seed) died lands after the first listing.
    /// </summary>
    public static async Task<int> RemoveByLabelAsync(string label, TimeSpan settle)
    {
        var removed = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var quietSince = TimeSpan.Zero;
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var ids = await PsAsync([label], all: true);
            if (ids.Count > 0)
            {
                await TryRunAsync(["rm", "-f", .. ids]);
                removed += ids.Count;
                quietSince = clock.Elapsed;
            }
            else if (clock.Elapsed - quietSince >= settle)
            {
                return removed;
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException($"containers labelled {label} kept appearing for 30s");
    }
}
