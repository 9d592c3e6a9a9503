using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Crane.Actors.Events;
using Crane.Actors.LoadBalancing;
using Crane.Contracts.Messages;

namespace Crane.Actors.Monitoring;

/// <summary>Where Crane's own Prometheus lives and how it scrapes; <see cref="Directory"/> is a folder under --data-dir.</summary>
public sealed record PrometheusOptions(
    string Directory,
    int Port,
    IReadOnlyList<string> SelfTargets,
    string PrometheusBinary = "prometheus",
    string PromtoolBinary = "promtool")
{
    public TimeSpan ScrapeInterval { get; init; } = PrometheusConfig.DefaultScrapeInterval;

    /// <summary>The autoscaler looks minutes back, not days: keep the TSDB small.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(6);

    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where alerts go (host:port of Alertmanagers); none: rules are evaluated, alerts go nowhere.</summary>
    public IReadOnlyList<string> Alertmanagers { get; init; } = [];

    /// <summary>Written as rules/crane.rules.yml when that file does not exist yet (the shipped rules).</summary>
    public string? DefaultRules { get; init; }

    /// <summary>Prometheus re-sends a firing alert to Alertmanager this often (its default: 1 m; tests use 1 s).</summary>
    public TimeSpan AlertResendDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>False with --prometheus-url: only the target files are written, for a Prometheus someone else runs.</summary>
    public bool Manage { get; init; } = true;

    /// <summary>A member that stopped announcing its /metrics for this long leaves the crane job.</summary>
    public TimeSpan MemberExpiry { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>Registry key for the Prometheus owner singleton.</summary>
public sealed class PrometheusSingleton;

/// <summary>A new scrape interval or set of Crane's own endpoints: checked with promtool, then reloaded.</summary>
public sealed record ConfigurePrometheus(TimeSpan ScrapeInterval, IReadOnlyList<string> SelfTargets);

public sealed record GetPrometheus
{
    public static readonly GetPrometheus Instance = new();
}

public sealed record PrometheusStatus(string Url, bool Running, int? Pid, int Targets, int Reloads, string? LastError);

/// <summary>
/// Owns one Prometheus process: writes prometheus.yml and the file_sd targets files under its directory, starts
/// Prometheus, restarts it with backoff when it exits and stops it with the actor. Targets change by rewriting the
/// targets file atomically (Prometheus watches it); a config change is checked with promtool and applied with
/// POST /-/reload, and a config that fails the check never replaces the running one.
/// </summary>
public sealed class PrometheusActor : ReceiveActor, IWithTimers
{
    private sealed record StartNow;

    private sealed record Exited(int Pid, int ExitCode);

    private sealed record Applied(string Config);

    private sealed record Rejected(string Error);

    private sealed record ExpireMembers
    {
        public static readonly ExpireMembers Instance = new();
    }


    private readonly PrometheusOptions _options;
    private readonly EventPublisher _events;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly OwnedProcess _prometheus;
    private string _appliedConfig = "";
    private string? _writtenTargets;
    private string? _writtenMembers;
    private readonly Dictionary<string, IReadOnlyList<ScrapeTarget>> _byWorkload = new(StringComparer.Ordinal);
    private readonly AnnouncedMembers _members;
    private int _targets;
    private int _reloads;
    private string? _lastError;
    private ConfigurePrometheus? _pendingConfig;
    private bool _applying;

    public ITimerScheduler Timers { get; set; } = null!;

    public PrometheusActor(PrometheusOptions options, EventPublisher events)
    {
        _options = options;
        _events = events;
        _members = new AnnouncedMembers(options.MemberExpiry);
        _prometheus = new OwnedProcess(options.PrometheusBinary, LogPath, PidPath, Signals.Terminate, options.StopGrace);
        Receive<WorkloadMetricsTargets>(OnWorkloadTargets);
        Receive<MemberMetricsEndpoint>(OnMember);
        Receive<ExpireMembers>(_ => OnExpireMembers());
        Receive<Akka.Cluster.Tools.PublishSubscribe.SubscribeAck>(_ => { });
        Receive<ConfigurePrometheus>(OnConfigure);
        Receive<PutRules>(OnPutRules);
        Receive<GetRules>(_ => Sender.Tell(new RulesView(File.ReadAllText(RulesPath), true, null)));
        Receive<Applied>(OnApplied);
        Receive<Rejected>(OnRejected);
        Receive<StartNow>(_ => Start());
        Receive<Exited>(OnExited);
        Receive<GetPrometheus>(_ => Sender.Tell(new PrometheusStatus(Url, _prometheus.Running, _prometheus.Pid, _targets, _reloads, _lastError)));
    }

    public static Props Props(PrometheusOptions options, EventPublisher events) =>
        Akka.Actor.Props.Create(() => new PrometheusActor(options, events));

    private string Url => $"http://127.0.0.1:{_options.Port}";

    private string ConfigPath => Path.Combine(_options.Directory, "prometheus.yml");

    private string TargetsPath => Path.Combine(_options.Directory, "targets", "replicas.json");

    private string MembersPath => Path.Combine(_options.Directory, "targets", "crane.json");

    private string RulesPath => Path.Combine(_options.Directory, "rules", "crane.rules.yml");

    private PrometheusAlerting Alerting => new(Path.Combine(_options.Directory, "rules", "*.yml"), _options.Alertmanagers);

    private string PidPath => Path.Combine(_options.Directory, "prometheus.pid");

    private string LogPath => Path.Combine(_options.Directory, "prometheus.log");

    protected override void PreStart()
    {
        Directory.CreateDirectory(Path.Combine(_options.Directory, "targets"));
        Directory.CreateDirectory(Path.Combine(_options.Directory, "data"));
        Directory.CreateDirectory(Path.Combine(_options.Directory, "rules"));
        if (!File.Exists(RulesPath))
            File.WriteAllText(RulesPath, _options.DefaultRules ?? "groups: []\n");
        WriteTargets([]);
        WriteMembers();
        _appliedConfig = PrometheusConfig.Render(_options.ScrapeInterval, _options.SelfTargets, TargetsPath, MembersPath, Alerting);
        File.WriteAllText(ConfigPath, _appliedConfig);
        Timers.StartPeriodicTimer("expire-members", ExpireMembers.Instance, _options.MemberExpiry / 3);
        Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.Get(Context.System).Mediator
            .Tell(new Akka.Cluster.Tools.PublishSubscribe.Subscribe(MetricsAnnouncer.Topic, Self));
        if (_options.Manage)
            _prometheus.StopLeftover($"--config.file={ConfigPath}").PipeTo(Self, success: () => new StartNow(), failure: _ => new StartNow());
    }

    protected override void PostStop()
    {
        // SIGTERM lets Prometheus flush its head block and release the TSDB lock.
        _prometheus.Stop();
        _http.Dispose();
    }

    private void Start()
    {
        if (_prometheus.Running)
            return;
        try
        {
            var self = Self;
            var pid = _prometheus.Start(
                [
                    $"--config.file={ConfigPath}",
                    $"--storage.tsdb.path={Path.Combine(_options.Directory, "data")}",
                    $"--storage.tsdb.retention.time={PrometheusConfig.Duration(_options.Retention)}",
                    $"--web.listen-address=127.0.0.1:{_options.Port}",
                    $"--rules.alert.resend-delay={PrometheusConfig.Duration(_options.AlertResendDelay)}",
                    "--web.enable-lifecycle",
                ],
                (exitedPid, code) => self.Tell(new Exited(exitedPid, code)));
            _log.Info("Prometheus started (pid {0}) on {1}, directory {2}", pid, Url, _options.Directory);
            _events.Normal("PrometheusStarted", "Prometheus", "prometheus", null, $"Prometheus started on {Url}");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            _lastError = $"cannot start prometheus ({_options.PrometheusBinary}): {ex.Message}";
            _log.Error(_lastError);
            _events.Warning("PrometheusFailed", "Prometheus", "prometheus", null, _lastError);
        }
    }

    private void OnExited(Exited exited)
    {
        if (!_prometheus.IsCurrent(exited.Pid))
            return;
        var delay = _prometheus.NextRestartDelay();
        _lastError = OwnedProcess.ExitMessage("prometheus", exited.ExitCode, LogPath);
        _events.Warning("PrometheusFailed", "Prometheus", "prometheus", null, $"{_lastError}; restarting it in {delay.TotalSeconds:0}s");
        Timers.StartSingleTimer("restart-prometheus", new StartNow(), delay);
    }

    private void OnWorkloadTargets(WorkloadMetricsTargets msg)
    {
        if (msg.Endpoints.Count == 0)
            _byWorkload.Remove(msg.Workload);
        else
            _byWorkload[msg.Workload] = msg.Endpoints.Select(e => new ScrapeTarget(e.Host, e.Port, msg.Workload, e.Replica, e.Node)).ToList();
        WriteAllTargets();
    }

    private void WriteAllTargets()
    {
        var all = _byWorkload.Values.SelectMany(t => t).ToList();
        TryWrite(TargetsPath, () => WriteTargets(all));
        _targets = all.Count;
    }

    private void OnMember(MemberMetricsEndpoint msg)
    {
        if (_members.Heard(msg, DateTimeOffset.UtcNow))
            TryWrite(MembersPath, WriteMembers);
    }

    private void OnExpireMembers()
    {
        if (_members.Expire(DateTimeOffset.UtcNow))
            TryWrite(MembersPath, WriteMembers);
    }

    private void TryWrite(string path, Action write)
    {
        try
        {
            write();
        }
        catch (IOException ex)
        {
            _lastError = $"cannot write {path}: {ex.Message}";
            _events.Warning("PrometheusTargetsFailed", "Prometheus", "prometheus", null, _lastError);
        }
    }

    private void WriteMembers()
    {
        var json = PrometheusConfig.RenderMembers(_members.Current.Select(m => new MemberTarget(m.Host, m.Port, m.Member, m.Role)));
        if (json == _writtenMembers)
            return;
        ReplaceFile(MembersPath, json);
        _writtenMembers = json;
    }

    /// <summary>Write a temp file and rename it over the old one, so Prometheus never reads half a file.</summary>
    private void WriteTargets(IEnumerable<ScrapeTarget> targets)
    {
        var json = PrometheusConfig.RenderTargets(targets);
        if (json == _writtenTargets)
            return;
        ReplaceFile(TargetsPath, json);
        _writtenTargets = json;
    }

    private static void ReplaceFile(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    private void OnConfigure(ConfigurePrometheus msg)
    {
        _pendingConfig = msg;
        if (!_applying)
            ApplyPending();
    }

    private void ApplyPending()
    {
        if (_pendingConfig is not { } next)
            return;
        _pendingConfig = null;
        string config;
        try
        {
            config = PrometheusConfig.Render(next.ScrapeInterval, next.SelfTargets, TargetsPath, MembersPath, Alerting);
        }
        catch (ArgumentException ex)
        {
            OnRejected(new Rejected(ex.Message));
            return;
        }

        if (config == _appliedConfig)
            return;
        _applying = true;
        var reload = _prometheus.Running ? $"{Url}/-/reload" : null;
        CheckedFile.ReplaceAsync(ConfigPath, config, candidate => RunPromtool("check", "config", candidate), _http, reload)
            .PipeTo(Self,
                success: r => (r.Error ?? r.ReloadError) is { } error ? new Rejected(error) : new Applied(config),
                failure: ex => new Rejected(ex.Message));
    }

    /// <summary>promtool check rules, then rename over the rules file and reload; the answer goes to the sender.</summary>
    private void OnPutRules(PutRules put)
    {
        var reload = _prometheus.Running ? $"{Url}/-/reload" : null;
        var events = _events;
        var manage = _options.Manage;
        CheckedFile.ReplaceAsync(RulesPath, put.Yaml, candidate => RunPromtool("check", "rules", candidate), _http, reload).ContinueWith(t =>
        {
            object answer = t switch
            {
                { IsCompletedSuccessfully: false } => new RulesRejected($"cannot apply the rules: {t.Exception?.GetBaseException().Message}"),
                { Result.Error: { } error } => new RulesRejected(error),
                { Result.Reloaded: true } => new RulesView(put.Yaml, true, null),
                { Result.ReloadError: { } reloadError } => new RulesView(put.Yaml, false, $"written, but {reloadError}"),
                _ => new RulesView(put.Yaml, false, manage ? "written; Prometheus is not running and loads them when it starts" : "written; reload the Prometheus you run to load them"),
            };
            if (answer is RulesView { Reloaded: true })
                events.Normal("RulesReloaded", "Prometheus", "prometheus", null, "alerting rules checked with promtool and reloaded");
            else if (answer is RulesRejected rejected)
                events.Warning("RulesRejected", "Prometheus", "prometheus", null, $"new rules rejected, the old ones stay: {rejected.Error}");
            return answer;
        }).PipeTo(Sender);
    }

    private void OnApplied(Applied applied)
    {
        _applying = false;
        _appliedConfig = applied.Config;
        _reloads++;
        _lastError = null;
        _events.Normal("PrometheusReloaded", "Prometheus", "prometheus", null, "Prometheus config checked and reloaded");
        ApplyPending();
    }

    private void OnRejected(Rejected rejected)
    {
        _applying = false;
        _lastError = rejected.Error;
        _log.Warning("Prometheus config rejected, keeping the running one: {0}", rejected.Error);
        _events.Warning("PrometheusConfigRejected", "Prometheus", "prometheus", null, $"new config rejected, the running one stays: {rejected.Error}");
        ApplyPending();
    }

    private Task<(int ExitCode, string Output)> RunPromtool(params string[] args) => ChildProcess.Run(_options.PromtoolBinary, args);
}
