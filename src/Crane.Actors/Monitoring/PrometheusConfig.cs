using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Crane.Actors.Monitoring;

/// <summary>One replica's metrics endpoint, as Prometheus scrapes it from the file_sd targets file.</summary>
public sealed record ScrapeTarget(string Host, int Port, string Workload, string Replica, string Node);

/// <summary>Where the alerting rules are (a file glob) and which Alertmanagers (host:port) get the alerts.</summary>
public sealed record PrometheusAlerting(string RuleFiles, IReadOnlyList<string> Alertmanagers);

/// <summary>A Crane process' own /metrics (a seed, a node or both), labelled member and role in the crane job.</summary>
public sealed record MemberTarget(string Host, int Port, string Member, string Role);

/// <summary>Renders prometheus.yml and the file_sd targets JSON: pure, so both are tested as text.</summary>
public static class PrometheusConfig
{
    /// <summary>Fast enough for a 15 s autoscaler sync to see fresh samples; Prometheus' own default is 1 m.</summary>
    public static readonly TimeSpan DefaultScrapeInterval = TimeSpan.FromSeconds(5);

    /// <summary>How often Prometheus re-reads the targets file even if it missed a change notification.</summary>
    public static readonly TimeSpan TargetsRefreshInterval = TimeSpan.FromSeconds(5);

    public const string CraneJob = "crane";
    public const string ReplicasJob = "replicas";

    /// <summary>
    /// The crane job scrapes the static <paramref name="selfTargets"/> (may be empty) and the members file, where every seed
    /// and node announces its own /metrics; the replicas job scrapes the replicas file. Both files are file_sd JSON.
    /// </summary>
    public static string Render(TimeSpan scrapeInterval, IEnumerable<string> selfTargets, string targetsFile, string? membersFile = null,
        PrometheusAlerting? alerting = null)
    {
        if (scrapeInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(scrapeInterval), scrapeInterval, "the scrape interval must be positive");
        var interval = Duration(scrapeInterval);
        // Prometheus rejects a scrape timeout longer than the interval.
        var timeout = Duration(scrapeInterval < TimeSpan.FromSeconds(10) ? scrapeInterval : TimeSpan.FromSeconds(10));
        var refresh = Duration(TargetsRefreshInterval);
        var sb = new StringBuilder();
        sb.Append($"""
            # Written by Crane's PrometheusActor; every change is checked with promtool before it replaces this file,
            # then applied with POST /-/reload. Targets come from the file_sd files, which Prometheus re-reads by itself.
            global:
              scrape_interval: {interval}
              scrape_timeout: {timeout}
              evaluation_interval: {interval}

            """);
        if (alerting is not null)
        {
            sb.Append($"""
                rule_files: [{Quote(alerting.RuleFiles)}]

                """);
            if (alerting.Alertmanagers.Count > 0)
            {
                sb.Append($"""
                    alerting:
                      alertmanagers:
                        - static_configs:
                            - targets: [{string.Join(", ", alerting.Alertmanagers.Select(Quote))}]

                    """);
            }
        }

        sb.Append($"""
            scrape_configs:
              - job_name: {CraneJob}

            """);
        var statics = selfTargets.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(Quote).ToList();
        if (statics.Count > 0 || membersFile is null)
        {
            sb.Append($"""
                    static_configs:
                      - targets: [{string.Join(", ", statics)}]

                """);
        }

        if (membersFile is not null)
        {
            sb.Append($"""
                    file_sd_configs:
                      - files: [{Quote(membersFile)}]
                        refresh_interval: {refresh}

                """);
        }

        sb.Append($"""
              - job_name: {ReplicasJob}
                file_sd_configs:
                  - files: [{Quote(targetsFile)}]
                    refresh_interval: {refresh}

            """);
        return sb.ToString();
    }

    /// <summary>One target group per Crane process, ordered by member and address so equal sets render equal files.</summary>
    public static string RenderMembers(IEnumerable<MemberTarget> members)
    {
        var groups = members
            .OrderBy(m => m.Member, StringComparer.Ordinal)
            .ThenBy(m => m.Host, StringComparer.Ordinal)
            .ThenBy(m => m.Port)
            .Select(m => new TargetGroup(
                [Address(m.Host, m.Port)],
                new SortedDictionary<string, string>(StringComparer.Ordinal) { ["member"] = m.Member, ["role"] = m.Role }))
            .ToList();
        return JsonSerializer.Serialize(groups, JsonOptions) + "\n";
    }

    /// <summary>One target group per replica, ordered by workload, replica and address so equal sets render equal files.</summary>
    public static string RenderTargets(IEnumerable<ScrapeTarget> targets)
    {
        var groups = targets
            .OrderBy(t => t.Workload, StringComparer.Ordinal)
            .ThenBy(t => t.Replica, StringComparer.Ordinal)
            .ThenBy(t => t.Host, StringComparer.Ordinal)
            .ThenBy(t => t.Port)
            .Select(t => new TargetGroup(
                [Address(t.Host, t.Port)],
                new SortedDictionary<string, string>(StringComparer.Ordinal) { ["node"] = t.Node, ["replica"] = t.Replica, ["workload"] = t.Workload }))
            .ToList();
        return JsonSerializer.Serialize(groups, JsonOptions) + "\n";
    }

    /// <summary>A Prometheus duration: whole seconds as "5s", anything finer in milliseconds.</summary>
    public static string Duration(TimeSpan span) =>
        span.Ticks % TimeSpan.TicksPerSecond == 0
            ? ((long)span.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s"
            : ((long)Math.Ceiling(span.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";

    public static string Address(string host, int port) =>
        (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture);

    // A JSON string is a valid YAML double-quoted scalar, so no value can break the document's structure.
    private static string Quote(string value) => JsonSerializer.Serialize(value);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private sealed record TargetGroup(IReadOnlyList<string> Targets, IReadOnlyDictionary<string, string> Labels);
}
