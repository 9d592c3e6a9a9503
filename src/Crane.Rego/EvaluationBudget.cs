namespace Crane.Rego;

/// <summary>
/// The steps and the deadline of one decision, shared by every evaluation made for it (all modules, all
/// nodes): each <see cref="CompiledPolicy"/> call given this budget in <see cref="EvalOptions.Budget"/>
/// draws from what the calls before it left. Exceeding it is an <c>eval_budget_exceeded</c> error.
/// The evaluations of one decision run one after another, so the budget is not meant for concurrent use.
/// </summary>
public sealed class EvaluationBudget
{
    // The clock is read once every this many steps: reading it per step would cost more than the step.
    private const long ClockEvery = 1024;

    private readonly TimeProvider _time;
    private readonly long _deadline;
    private long _nextClockCheck = ClockEvery;

    /// <param name="maxSteps">Steps (expressions, terms, calls, elements built) all evaluations may take together.</param>
    /// <param name="timeout">Wall-clock time from now for all evaluations together; null for none.</param>
    /// <param name="time">Clock for the deadline; the system clock when null.</param>
    public EvaluationBudget(long maxSteps, TimeSpan? timeout, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSteps);
        MaxSteps = maxSteps;
        Timeout = timeout;
        _time = time ?? TimeProvider.System;
        _deadline = timeout is { } t ? _time.GetTimestamp() + (long)Math.Min(t.TotalSeconds * _time.TimestampFrequency, long.MaxValue / 2) : long.MaxValue;
    }

    /// <summary>A budget for a single evaluation, from the options' <see cref="EvalOptions.MaxSteps"/> and <see cref="EvalOptions.Timeout"/>.</summary>
    public static EvaluationBudget For(EvalOptions options) => new(options.MaxSteps, options.Timeout, options.TimeProvider);

    public long MaxSteps { get; }
    public TimeSpan? Timeout { get; }

    /// <summary>Steps taken so far by all evaluations that used this budget.</summary>
    public long StepsUsed { get; private set; }

    /// <summary>Time until the deadline (negative once past it); null when there is none.</summary>
    public TimeSpan? TimeLeft() =>
        _deadline == long.MaxValue ? null : TimeSpan.FromSeconds((double)(_deadline - _time.GetTimestamp()) / _time.TimestampFrequency);

    /// <summary>One evaluation step.</summary>
    internal void Step()
    {
        if (++StepsUsed > MaxSteps) throw StepsExceeded();
        if (StepsUsed >= _nextClockCheck)
        {
            _nextClockCheck = StepsUsed + ClockEvery;
            CheckDeadline();
        }
    }

    /// <summary>Many steps at once: the work a built-in does or the elements it builds, charged before it does it.</summary>
    internal void Charge(long steps, string what)
    {
        if (steps <= 0) return;
        StepsUsed = steps > MaxSteps - StepsUsed ? MaxSteps + 1 : StepsUsed + steps;
        if (StepsUsed > MaxSteps)
            throw new RegoException(RegoErrorCodes.EvalBudget, $"{what} exceeded the step budget of {MaxSteps} steps");
        if (StepsUsed >= _nextClockCheck)
        {
            _nextClockCheck = StepsUsed + ClockEvery;
            CheckDeadline();
        }
    }

    /// <summary>Fails once the deadline has passed; every evaluation checks it when it starts.</summary>
    internal void CheckDeadline()
    {
        if (_deadline != long.MaxValue && _time.GetTimestamp() > _deadline)
            throw new RegoException(RegoErrorCodes.EvalBudget, $"evaluation exceeded the time budget of {Timeout}");
    }

    private RegoException StepsExceeded() =>
        new(RegoErrorCodes.EvalBudget, $"evaluation exceeded the step budget of {MaxSteps} steps");
}
