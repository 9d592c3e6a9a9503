using System.Diagnostics;

namespace Crane.IntegrationTests;

internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs a short-lived command and collects its output, with a deadline.</summary>
internal static class ProcessRunner
{
    /// <summary>Runs <paramref name="file"/>; <paramref name="stdin"/>, when given, is written to its standard input.</summary>
    public static async Task<ProcessResult> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout, string? stdin = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        if (stdin is not null)
            await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
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
            throw new TimeoutException($"`{file} {string.Join(' ', start.ArgumentList)}` did not finish within {timeout.TotalSeconds:0}s");
        }

        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }
}
