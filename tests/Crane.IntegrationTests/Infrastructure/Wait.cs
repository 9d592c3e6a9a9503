using System.Diagnostics;

namespace Crane.IntegrationTests;

/// <summary>Polls a condition until it holds or a deadline passes; never a bare sleep.</summary>
public static class Wait
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(150);

    /// <summary>Convergence of a workload on a loaded 2-core machine.</summary>
    public static readonly TimeSpan Converge = TimeSpan.FromSeconds(45);

    public static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string message) =>
        await Until(condition, ok => ok, timeout, message, _ => "condition was false");

    public static async Task Until(Func<bool> condition, TimeSpan timeout, string message) =>
        await Until(() => Task.FromResult(condition()), ok => ok, timeout, message, _ => "condition was false");

    /// <summary>
    /// Observes a value until <paramref name="done"/> accepts it and returns that value. Exceptions while observing
    /// (e.g. a connection refused during a restart) count as "not yet". On timeout the message carries the last
    /// observed state (through <paramref name="describe"/>) or the last exception.
    /// </summary>
    public static async Task<T> Until<T>(Func<Task<T>> observe, Func<T, bool> done, TimeSpan timeout, string message,
        Func<T, string>? describe = null)
    {
        var clock = Stopwatch.StartNew();
        var lastState = "nothing observed yet";
        while (true)
        {
            try
            {
                var value = await observe();
                if (done(value))
                    return value;
                lastState = describe is null ? value?.ToString() ?? "null" : describe(value);
            }
            catch (Exception ex) when (ex is not WaitTimeoutException)
            {
                lastState = $"{ex.GetType().Name}: {ex.Message}";
            }

            if (clock.Elapsed > timeout)
                throw new WaitTimeoutException($"{message} (waited {timeout.TotalSeconds:0.#}s). Last observed: {lastState}");
            await Task.Delay(PollInterval);
        }
    }
}

/// <summary>For "nothing happens" claims: a condition must hold at every observation for a whole period.</summary>
public static class Hold
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Observes for <paramref name="period"/> and fails at the first value <paramref name="ok"/> rejects.</summary>
    public static async Task<T> For<T>(Func<Task<T>> observe, Func<T, bool> ok, TimeSpan period, string message, Func<T, string>? describe = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await observe();
            if (!ok(value))
                throw new Xunit.Sdk.XunitException($"{message} (after {clock.Elapsed.TotalSeconds:0.0}s). Observed: {(describe is null ? value?.ToString() : describe(value))}");
            if (clock.Elapsed >= period)
                return value;
            await Task.Delay(PollInterval);
        }
    }
}

public sealed class WaitTimeoutException(string message) : Exception(message);
