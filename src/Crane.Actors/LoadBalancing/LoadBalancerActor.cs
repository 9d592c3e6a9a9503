using Akka.Actor;
using Akka.Event;
using Crane.Actors.Events;
using Crane.Contracts.Messages;

namespace Crane.Actors.LoadBalancing;

/// <summary>Registry key for the load-balancer singleton proxy.</summary>
public sealed class LoadBalancerSingleton;

public sealed record LoadBalancerOptions(string Prefix, int Port, string NginxBinary, TimeSpan Debounce);

public sealed record GetLoadBalancer
{
    public static readonly GetLoadBalancer Instance = new();
}

public sealed record LoadBalancerStatus(int Port, bool Running, int Reloads, string? LastError, IReadOnlyDictionary<string, int> Endpoints);

/// <summary>
/// Owns one NGINX process. Keeps the ready endpoints of every routed workload, renders nginx.conf,
/// checks it with `nginx -t` and reloads NGINX — debounced, one reload at a time, and a config that
/// fails the check never replaces the running one.
/// </summary>
public sealed class LoadBalancerActor : ReceiveActor, IWithTimers
{
    private sealed record Flush;

    private sealed record Applied(string Config, int Workloads, int Endpoints);

    private sealed record Rejected(string Error);

    private sealed record NginxExited(int Pid, int ExitCode);

    private sealed record StartNginxNow;

    private readonly LoadBalancerOptions _options;
    private readonly EventPublisher _events;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, WorkloadBackends> _backends = new(StringComparer.Ordinal);
    private readonly Monitoring.OwnedProcess _nginx;
    private string? _appliedConfig;
    private bool _dirty;
    private bool _flushing;
    private int _reloads;
    private string? _lastError;

    public ITimerScheduler Timers { get; set; } = null!;

    public LoadBalancerActor(LoadBalancerOptions options, EventPublisher events)
    {
        // The master quits on SIGQUIT once its workers finished their requests (graceful), killed after 5 s.
        _nginx = new Monitoring.OwnedProcess(options.NginxBinary, Path.Combine(options.Prefix, "nginx.out"),
            Path.Combine(options.Prefix, "nginx.pid"), Signals.Quit, TimeSpan.FromSeconds(5));
        _options = options;
        _events = events;
        Receive<WorkloadEndpoints>(OnEndpoints);
        Receive<Flush>(_ => StartFlush());
        Receive<Applied>(OnApplied);
        Receive<Rejected>(OnRejected);
        Receive<NginxExited>(OnNginxExited);
        Receive<StartNginxNow>(_ => StartNginx());
        Receive<GetLoadBalancer>(_ => Sender.Tell(new LoadBalancerStatus(_options.Port, _nginx.Running, _reloads, _lastError,
            _backends.ToDictionary(kv => kv.Key, kv => kv.Value.Endpoints.Count))));
    }

    public static Props Props(LoadBalancerOptions options, EventPublisher events) =>
        Akka.Actor.Props.Create(() => new LoadBalancerActor(options, events));

    private string ConfigPath => Path.Combine(_options.Prefix, "nginx.conf");

    protected override void PreStart()
    {
        foreach (var dir in new[] { "tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi" })
            Directory.CreateDirectory(Path.Combine(_options.Prefix, dir));
        var config = NginxConfig.Render(_options.Prefix, _options.Port, []);
        File.WriteAllText(ConfigPath, config);
        _appliedConfig = config;
        StopLeftoverMaster().PipeTo(Self, success: () => new StartNginxNow(), failure: _ => new StartNginxNow());
    }

    protected override void PostStop() => _nginx.Stop();

    private void StartNginx()
    {
        if (_nginx.Running)
            return;
        try
        {
            var self = Self;
            var pid = _nginx.Start(["-p", _options.Prefix, "-c", ConfigPath, "-e", Path.Combine(_options.Prefix, "error.log"), "-g", "daemon off;"],
                (exitedPid, code) => self.Tell(new NginxExited(exitedPid, code)));
            _log.Info("NGINX started (pid {0}) on 127.0.0.1:{1}, prefix {2}", pid, _options.Port, _options.Prefix);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            _lastError = $"cannot start nginx ({_options.NginxBinary}): {ex.Message}";
            _log.Error(_lastError);
            _events.Warning("LoadBalancerFailed", "LoadBalancer", "nginx", null, _lastError);
        }
    }

    private void OnNginxExited(NginxExited exited)
    {
        if (!_nginx.IsCurrent(exited.Pid))
            return;
        var delay = _nginx.NextRestartDelay();
        _lastError = Monitoring.OwnedProcess.ExitMessage("nginx", exited.ExitCode, Path.Combine(_options.Prefix, "error.log"));
        _events.Warning("LoadBalancerFailed", "LoadBalancer", "nginx", null, $"{_lastError}; restarting it in {delay.TotalSeconds:0}s");
        Timers.StartSingleTimer("restart-nginx", new StartNginxNow(), delay);
    }

    private void OnEndpoints(WorkloadEndpoints msg)
    {
        var changed = msg.Routed
            ? !_backends.TryGetValue(msg.Workload, out var current) || !current.Endpoints.SequenceEqual(Map(msg))
            : _backends.ContainsKey(msg.Workload);
        if (!changed)
            return;
        if (msg.Routed)
            _backends[msg.Workload] = new WorkloadBackends(msg.Workload, Map(msg));
        else
            _backends.Remove(msg.Workload);
        _dirty = true;
        if (!_flushing && !Timers.IsTimerActive("flush"))
            Timers.StartSingleTimer("flush", new Flush(), _options.Debounce);
    }

    private static List<Endpoint> Map(WorkloadEndpoints msg) =>
        msg.Endpoints.OrderBy(e => e.ReplicaId, StringComparer.Ordinal).Select(e => new Endpoint(e.ReplicaId, e.Host, e.Port)).ToList();

    private void StartFlush()
    {
        if (_flushing || !_dirty)
            return;
        _dirty = false;
        var config = NginxConfig.Render(_options.Prefix, _options.Port, _backends.Values);
        if (config == _appliedConfig)
            return;
        _flushing = true;
        var workloads = _backends.Count;
        var endpoints = _backends.Values.Sum(b => b.Endpoints.Count);
        var candidate = ConfigPath + ".new";
        var master = _nginx.Pid;
        async Task<object> ApplyAsync()
        {
            await File.WriteAllTextAsync(candidate, config);
            var test = await RunNginx("-t", "-q", "-c", candidate);
            if (test.ExitCode != 0)
                return new Rejected(test.Output.Trim());
            File.Move(candidate, ConfigPath, overwrite: true);
            // SIGHUP: the master re-reads the file, starts new workers and lets the old ones finish their requests.
            if (master is { } pid && !Signals.Send(pid, Signals.Hangup))
                return new Rejected("reload failed: could not signal the NGINX master");

            return new Applied(config, workloads, endpoints);
        }

        ApplyAsync().PipeTo(Self, failure: ex => new Rejected(ex.Message));
    }

    private void OnApplied(Applied applied)
    {
        _flushing = false;
        _appliedConfig = applied.Config;
        _reloads++;
        _lastError = null;
        _events.Normal("LoadBalancerReloaded", "LoadBalancer", "nginx", null,
            $"NGINX reloaded: {applied.Workloads} workloads, {applied.Endpoints} ready endpoints");
        if (_dirty)
            Timers.StartSingleTimer("flush", new Flush(), _options.Debounce);
    }

    private void OnRejected(Rejected rejected)
    {
        _flushing = false;
        _lastError = rejected.Error;
        _log.Warning("NGINX config rejected, keeping the running one: {0}", rejected.Error);
        _events.Warning("LoadBalancerConfigRejected", "LoadBalancer", "nginx", null, $"new config rejected, the running one stays: {rejected.Error}");
        if (_dirty)
            Timers.StartSingleTimer("flush", new Flush(), _options.Debounce);
    }

    /// <summary>An NGINX master of ours left over from a Crane that was killed still holds the port: quit it.</summary>
    private Task StopLeftoverMaster() =>
        // nginx rewrites its process title, so the arguments appear joined by spaces: match "-p <prefix> ".
        ChildProcess.StopLeftover(Path.Combine(_options.Prefix, "nginx.pid"),
            cmdline => cmdline.Replace('\0', ' ').Contains($"-p {_options.Prefix} ", StringComparison.Ordinal),
            Signals.Quit, TimeSpan.FromSeconds(5), killAfterWait: false);

    /// <summary>nginx with this prefix, config (unless -c is given) and error log, then <paramref name="args"/>.</summary>
    private Task<(int ExitCode, string Output)> RunNginx(params string[] args)
    {
        var all = new List<string> { "-p", _options.Prefix };
        if (!args.Contains("-c"))
            all.AddRange(["-c", ConfigPath]);
        all.AddRange(["-e", Path.Combine(_options.Prefix, "error.log")]);
        all.AddRange(args);
        return ChildProcess.Run(_options.NginxBinary, all);
    }
}
