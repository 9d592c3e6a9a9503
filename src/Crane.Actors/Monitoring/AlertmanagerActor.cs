using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Crane.Actors.Events;
using Crane.Actors.LoadBalancing;
using Crane.Contracts.Messages;

namespace Crane.Actors.Monitoring;

/// <summary>Registry key for the Alertmanager owner singleton.</summary>
public sealed class AlertmanagerSingleton;

/// <summary>Where Crane's own Alertmanager lives; <see cref="Directory"/> is a folder under --data-dir.</summary>
public sealed record AlertmanagerOptions(string Directory, int Port, string AlertmanagerBinary = "prometheus-alertmanager", string AmtoolBinary = "amtool")
{
    /// <summary>Lab-tool timings: a new alert group goes out after 1 s, changes to it after 5 s, a still-firing one again after 1 h.</summary>
    public TimeSpan GroupWait { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan GroupInterval { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan RepeatInterval { get; init; } = TimeSpan.FromHours(1);

    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A seed that stopped announcing its HTTP endpoint for this long no longer receives the webhook.</summary>
    public TimeSpan MemberExpiry { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The file holding the bearer token the webhook sends (&lt;data-dir&gt;/alertmanager.token); null sends none.</summary>
    public string? WebhookTokenFile { get; init; }
}

public sealed record GetAlertmanager
{
    public static readonly GetAlertmanager Instance = new();
}

public sealed record AlertmanagerStatus(string Url, bool Running, int? Pid, string? WebhookUrl, int Reloads, string? LastError);

/// <summary>Renders alertmanager.yml: one route to the webhook receiver "crane" (Crane's POST /api/v1/alerts), resolved alerts included.</summary>
public static class AlertmanagerConfig
{
    /// <param name="tokenFile">The webhook's bearer token (Crane's API needs one): Alertmanager reads it from this file.</param>
    public static string Render(string? webhookUrl, TimeSpan groupWait, TimeSpan groupInterval, TimeSpan repeatInterval, string? tokenFile = null)
    {
        var sb = new StringBuilder();
        sb.Append($"""
            # Written by Crane's AlertmanagerActor; checked with amtool before it replaces this file, then POST /-/reload.
            route:
              receiver: crane
              group_by: [alertname, workload, replica]
              group_wait: {PrometheusConfig.Duration(groupWait)}
              group_interval: {PrometheusConfig.Duration(groupInterval)}
              repeat_interval: {PrometheusConfig.Duration(repeatInterval)}
            receivers:
              - name: crane

            """);
        if (webhookUrl is not null)
        {
            sb.Append($"""
                    webhook_configs:
                      - url: {JsonSerializer.Serialize(webhookUrl)}
                        send_resolved: true

                """);
            if (tokenFile is not null)
            {
                sb.Append($"""
                            http_config:
                              authorization:
                                type: Bearer
                                credentials_file: {JsonSerializer.Serialize(tokenFile)}

                    """);
            }
        }

        return sb.ToString();
    }
}

/// <summary>
/// Owns one Alertmanager process (singleton, beside the Prometheus owner): its webhook is one control member's
/// POST /api/v1/alerts, learnt from the members' announcements (the first by name; another when it goes silent), so every
/// alert reaches Crane once. Config changes pass amtool check-config before a reload; the process restarts with backoff.
/// </summary>
public sealed class AlertmanagerActor : ReceiveActor, IWithTimers
{
    private sealed record StartNow;

    private sealed record Exited(int Pid, int ExitCode);

    private sealed record Applied(string? Webhook, string? ReloadError);

    private sealed record Reload
    {
        public static readonly Reload Instance = new();
    }

    private sealed record Rejected(string Error);

    private sealed record Expire
    {
        public static readonly Expire Instance = new();
    }

    private readonly AlertmanagerOptions _options;
    private readonly EventPublisher _events;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly OwnedProcess _alertmanager;
    private readonly AnnouncedMembers _members;
    private string? _webhook;
    private bool _applying;
    private int _reloads;
    private string? _lastError;

    public ITimerScheduler Timers { get; set; } = null!;

    public AlertmanagerActor(AlertmanagerOptions options, EventPublisher events)
    {
        _options = options;
        _events = events;
        _members = new AnnouncedMembers(options.MemberExpiry);
        _alertmanager = new OwnedProcess(options.AlertmanagerBinary, Path.Combine(options.Directory, "alertmanager.log"),
            Path.Combine(options.Directory, "alertmanager.pid"), Signals.Terminate, options.StopGrace);
        Receive<MemberMetricsEndpoint>(OnMember);
        Receive<Expire>(_ => OnExpire());
        Receive<SubscribeAck>(_ => { });
        Receive<StartNow>(_ => Start());
        Receive<Exited>(OnExited);
        Receive<Applied>(a =>
        {
            _applying = false;
            if (a.ReloadError is not null)
            {
                // Written but not loaded (Alertmanager still starting, or busy): ask again shortly.
                _lastError = a.ReloadError;
                Timers.StartSingleTimer("reload", Reload.Instance, TimeSpan.FromSeconds(1));
                return;
            }

            _reloads++;
            _lastError = null;
            _events.Normal("AlertmanagerReloaded", "Alertmanager", "alertmanager", null, $"Alertmanager sends alerts to {a.Webhook ?? "nowhere"}");
            ApplyWebhook();
        });
        Receive<Reload>(_ =>
        {
            var webhook = _webhook;
            _applying = true;
            var http = _http;
            async Task<Applied> ReloadAsync()
            {
                try
                {
                    using var response = await http.PostAsync($"{Url}/-/reload", content: null);
                    return new Applied(webhook, response.IsSuccessStatusCode ? null : $"reload failed: {(int)response.StatusCode}");
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return new Applied(webhook, $"reload failed: {ex.Message}");
                }
            }

            ReloadAsync().PipeTo(Self);
        });
        Receive<Rejected>(r =>
        {
            _applying = false;
            _lastError = r.Error;
            _events.Warning("AlertmanagerConfigRejected", "Alertmanager", "alertmanager", null, $"new config rejected, the running one stays: {r.Error}");
        });
        Receive<GetAlertmanager>(_ => Sender.Tell(new AlertmanagerStatus(Url, _alertmanager.Running, _alertmanager.Pid, _webhook, _reloads, _lastError)));
    }

    public static Props Props(AlertmanagerOptions options, EventPublisher events) => Akka.Actor.Props.Create(() => new AlertmanagerActor(options, events));

    private string Url => $"http://127.0.0.1:{_options.Port}";

    private string ConfigPath => Path.Combine(_options.Directory, "alertmanager.yml");

    private string Render(string? webhook) => AlertmanagerConfig.Render(webhook, _options.GroupWait, _options.GroupInterval, _options.RepeatInterval, _options.WebhookTokenFile);

    protected override void PreStart()
    {
        System.IO.Directory.CreateDirectory(Path.Combine(_options.Directory, "data"));
        File.WriteAllText(ConfigPath, Render(null));
        Timers.StartPeriodicTimer("expire", Expire.Instance, _options.MemberExpiry / 3);
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(MetricsAnnouncer.Topic, Self));
        _alertmanager.StopLeftover($"--config.file={ConfigPath}").PipeTo(Self, success: () => new StartNow(), failure: _ => new StartNow());
    }

    protected override void PostStop()
    {
        _alertmanager.Stop();
        _http.Dispose();
    }

    private void Start()
    {
        if (_alertmanager.Running)
            return;
        try
        {
            var self = Self;
            var pid = _alertmanager.Start(
                [
                    $"--config.file={ConfigPath}",
                    $"--storage.path={Path.Combine(_options.Directory, "data")}",
                    $"--web.listen-address=127.0.0.1:{_options.Port}",
                    // One Alertmanager per cluster: no gossip mesh (it would listen on every interface).
                    "--cluster.listen-address=",
                ],
                (exitedPid, code) => self.Tell(new Exited(exitedPid, code)));
            _log.Info("Alertmanager started (pid {0}) on {1}", pid, Url);
            _events.Normal("AlertmanagerStarted", "Alertmanager", "alertmanager", null, $"Alertmanager started on {Url}");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            _lastError = $"cannot start Alertmanager ({_options.AlertmanagerBinary}): {ex.Message}";
            _log.Error(_lastError);
            _events.Warning("AlertmanagerFailed", "Alertmanager", "alertmanager", null, _lastError);
        }
    }

    private void OnExited(Exited exited)
    {
        if (!_alertmanager.IsCurrent(exited.Pid))
            return;
        var delay = _alertmanager.NextRestartDelay();
        _lastError = OwnedProcess.ExitMessage("Alertmanager", exited.ExitCode, _alertmanager.LogPath);
        _events.Warning("AlertmanagerFailed", "Alertmanager", "alertmanager", null, $"{_lastError}; restarting it in {delay.TotalSeconds:0}s");
        Timers.StartSingleTimer("restart", new StartNow(), delay);
    }

    private void OnMember(MemberMetricsEndpoint member)
    {
        if (_members.Heard(member, DateTimeOffset.UtcNow))
            ApplyWebhook();
    }

    private void OnExpire()
    {
        if (_members.Expire(DateTimeOffset.UtcNow))
            ApplyWebhook();
    }

    /// <summary>Keeps the current webhook while its seed announces itself; else the first seed by name.</summary>
    private void ApplyWebhook()
    {
        if (_applying)
            return;
        var urls = _members.Current
            .Where(m => m.Role.Split(',').Contains("control", StringComparer.Ordinal))
            .Select(m => $"http://{PrometheusConfig.Address(m.Host, m.Port)}/api/v1/alerts")
            .ToList();
        var webhook = _webhook is not null && urls.Contains(_webhook) ? _webhook : urls.FirstOrDefault();
        if (webhook == _webhook)
            return;
        _applying = true;
        var config = Render(webhook);
        var reload = _alertmanager.Running ? $"{Url}/-/reload" : null;
        _webhook = webhook;
        CheckedFile.ReplaceAsync(ConfigPath, config, candidate => ChildProcess.Run(_options.AmtoolBinary, ["check-config", candidate]), _http, reload)
            .PipeTo(Self,
                success: r => r.Error is { } error ? new Rejected(error) : new Applied(webhook, r.ReloadError),
                failure: ex => new Rejected(ex.Message));
    }
}
