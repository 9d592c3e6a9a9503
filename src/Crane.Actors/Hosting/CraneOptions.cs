using System.Globalization;
using Crane.Contracts.Specs;

namespace Crane.Actors.Hosting;

/// <summary>Command-line flags shared by crane-seed and crane-node. Every flag also reads CRANE_&lt;FLAG&gt; (dashes as underscores).</summary>
public sealed record CraneOptions
{
    public string Hostname { get; init; } = "127.0.0.1";
    public int AkkaPort { get; init; }
    public IReadOnlyList<string> SeedNodes { get; init; } = [];
    public int HttpPort { get; init; } = 8080;
    public string DataDir { get; init; } = "./.crane-data";
    public string NodeName { get; init; } = "node-1";
    public double CapacityCpu { get; init; } = Environment.ProcessorCount;
    public long CapacityMemory { get; init; } = 4L * 1024 * 1024 * 1024;
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> ContainerLabels { get; init; } = new Dictionary<string, string>();
    public string Runtime { get; init; } = "docker";
    public string? DockerEndpoint { get; init; }
    public string Persistence { get; init; } = "sqlite";
    public string? ConnectionString { get; init; }
    public bool AllInOne { get; init; }
    public string DefaultStrategy { get; init; } = "spread";
    public TimeSpan OrphanGrace { get; init; } = TimeSpan.FromSeconds(20);
    public bool ImagePull { get; init; }
    public string? OpaUrl { get; init; }
    /// <summary>Rego files (*.rego) loaded as policies at start; none by default (deploy/policies holds samples).</summary>
    public string? PoliciesDir { get; init; }
    /// <summary>closed (default): admission answers 503 when the policy engine cannot decide; open: admit.</summary>
    public string PolicyFailure { get; init; } = "closed";
    /// <summary>Evaluation steps of one policy decision, all modules and nodes together (embedded engine).</summary>
    public long PolicyMaxSteps { get; init; } = Policy.PolicyLimits.Default.MaxSteps;
    /// <summary>Wall-clock time of one policy decision, all modules and nodes together.</summary>
    public TimeSpan PolicyTimeout { get; init; } = Policy.PolicyLimits.Default.Timeout!.Value;
    public int LbPort { get; init; } = 8081;
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>nginx from PATH, else Debian's /usr/sbin/nginx (not on PATH for every user).</summary>
    public string Nginx { get; init; } = DefaultNginx();
    /// <summary>null: Crane runs its own Prometheus; a URL: use that one (Crane only writes target files); "none": no Prometheus, no metrics for the autoscaler.</summary>
    public string? PrometheusUrl { get; init; }
    /// <summary>Port of Crane's own Prometheus on 127.0.0.1 (0: any free port, written to &lt;data-dir&gt;/prometheus.port).</summary>
    public int PrometheusPort { get; init; } = 9090;
    public TimeSpan ScrapeInterval { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan AutoscalerSync { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>The range cpu usage is averaged over (the PromQL rate window).</summary>
    public TimeSpan AutoscalerWindow { get; init; } = TimeSpan.FromSeconds(30);
    public double AutoscalerTolerance { get; init; } = 0.1;
    public TimeSpan CpuInitialization { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>null: Crane runs its own Alertmanager (when it runs its own Prometheus); a URL: Prometheus sends alerts there; "none": nowhere.</summary>
    public string? AlertmanagerUrl { get; init; }
    /// <summary>Port of Crane's own Alertmanager on 127.0.0.1 (0: any free port, written to &lt;data-dir&gt;/alertmanager.port).</summary>
    public int AlertmanagerPort { get; init; } = 9093;
    /// <summary>How often Prometheus re-sends a firing alert (its --rules.alert.resend-delay).</summary>
    public TimeSpan AlertResendDelay { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>At most one alert action per workload this often.</summary>
    public TimeSpan AlertActionInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Address the HTTP API (and a node's /metrics) binds to; loopback unless asked (--hostname is Akka's address).</summary>
    public string HttpBind { get; init; } = "127.0.0.1";
    /// <summary>The URL the HTTP server listens on: --http-bind (bracketed when IPv6) and --http-port.</summary>
    public string HttpListenUrl =>
        $"http://{(HttpBind.Contains(':', StringComparison.Ordinal) ? $"[{HttpBind}]" : HttpBind)}:{HttpPort.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Bearer tokens (name, role, SHA-256 of the token per line); null: an admin token generated into &lt;data-dir&gt;/admin.token.</summary>
    public string? TokensFile { get; init; }
    /// <summary>Host header values the API answers (DNS-rebinding guard); besides these: localhost, loopback, --hostname, --http-bind.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];
    /// <summary>When true, /metrics needs a viewer token like the rest of the API; open by default for Prometheus.</summary>
    public bool MetricsAuth { get; init; }
    /// <summary>At most this many workloads; an apply that would create one more is a 409.</summary>
    public int MaxWorkloads { get; init; } = 500;
    /// <summary>The process runtime runs specs' commands on this host: only when this is set.</summary>
    public bool AllowProcessRuntime { get; init; }
    /// <summary>PKCS#12 file with this member's certificate and private key: Akka remoting uses mutual TLS (<see cref="RemotingTls"/>).</summary>
    public string? AkkaTlsCert { get; init; }
    /// <summary>Password of --akka-tls-cert (CRANE_AKKA_TLS_PASSWORD keeps it out of the process list).</summary>
    public string? AkkaTlsPassword { get; init; }
    /// <summary>The CA certificate(s), PEM or DER, that every peer's certificate must chain to.</summary>
    public string? AkkaTlsCa { get; init; }

    public const string NoPrometheus = "none";

    public static readonly IReadOnlyList<string> Flags =
    [
        "hostname", "akka-port", "seed-nodes", "http-port", "data-dir", "node-name", "capacity-cpu", "capacity-memory",
        "labels", "container-labels", "runtime", "docker-endpoint", "persistence", "connection-string", "all-in-one",
        "default-strategy", "orphan-grace-seconds", "image-pull", "lb-port", "drain-seconds", "nginx", "opa-url", "policy-failure", "policies-dir",
        "policy-max-steps", "policy-timeout-seconds",
        "prometheus-url", "prometheus-port", "scrape-interval-seconds", "autoscaler-sync-seconds", "autoscaler-window-seconds",
        "autoscaler-tolerance", "cpu-initialization-seconds", "alertmanager-url", "alertmanager-port", "alert-resend-delay-seconds",
        "alert-action-interval-seconds", "http-bind", "tokens-file", "allowed-hosts", "metrics-auth", "max-workloads", "allow-process-runtime",
        "akka-tls-cert", "akka-tls-password", "akka-tls-ca",
    ];

    /// <summary>Parses flags; environment variables give the defaults. Throws ArgumentException with a user-facing message.</summary>
    public static CraneOptions Parse(string[] args, int defaultAkkaPort, IReadOnlyDictionary<string, string?>? environment = null, int defaultHttpPort = 8080)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var flag in Flags)
        {
            var env = "CRANE_" + flag.Replace('-', '_').ToUpperInvariant();
            var value = environment is null ? Environment.GetEnvironmentVariable(env) : environment.GetValueOrDefault(env);
            if (!string.IsNullOrEmpty(value))
                values[flag] = value;
        }

        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                throw new ArgumentException($"unexpected argument '{arg}'");
            var name = arg[2..];
            string? value = null;
            var eq = name.IndexOf('=');
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }

            if (!Flags.Contains(name))
                throw new ArgumentException($"unknown flag --{name}; known: {string.Join(", ", Flags.Select(f => "--" + f))}");
            if (value is null)
            {
                if (name is "all-in-one" or "image-pull" or "allow-process-runtime" or "metrics-auth")
                    value = "true";
                else if (i + 1 < args.Length)
                    value = args[++i];
                else
                    throw new ArgumentException($"--{name} needs a value");
            }

            values[name] = value;
        }

        var o = new CraneOptions { AkkaPort = defaultAkkaPort, HttpPort = defaultHttpPort };
        string? Get(string k) => values.GetValueOrDefault(k);
        var parsed = o with
        {
            Hostname = Get("hostname") ?? o.Hostname,
            AkkaPort = Get("akka-port") is { } ap ? Int("akka-port", ap) : o.AkkaPort,
            SeedNodes = Get("seed-nodes") is { } seeds ? seeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : o.SeedNodes,
            HttpPort = Get("http-port") is { } hp ? Int("http-port", hp) : o.HttpPort,
            DataDir = Get("data-dir") ?? o.DataDir,
            NodeName = Get("node-name") ?? o.NodeName,
            CapacityCpu = Get("capacity-cpu") is { } cpu ? Cpu(cpu) : o.CapacityCpu,
            CapacityMemory = Get("capacity-memory") is { } mem ? Memory(mem) : o.CapacityMemory,
            Labels = Get("labels") is { } labels ? Pairs("labels", labels) : o.Labels,
            ContainerLabels = Get("container-labels") is { } cl ? Pairs("container-labels", cl) : o.ContainerLabels,
            Runtime = Get("runtime") is { } rt ? OneOf("runtime", rt, "docker", "process", "hollow") : o.Runtime,
            DockerEndpoint = Get("docker-endpoint") ?? o.DockerEndpoint,
            Persistence = Get("persistence") is { } p ? OneOf("persistence", p, "sqlite", "postgres") : o.Persistence,
            ConnectionString = Get("connection-string") ?? o.ConnectionString,
            AllInOne = Get("all-in-one") is { } aio ? Bool("all-in-one", aio) : o.AllInOne,
            DefaultStrategy = Get("default-strategy") ?? o.DefaultStrategy,
            LbPort = Get("lb-port") is { } lb ? Int("lb-port", lb) : o.LbPort,
            Drain = Get("drain-seconds") is { } ds ? TimeSpan.FromSeconds(Seconds("drain-seconds", ds)) : o.Drain,
            Nginx = Get("nginx") ?? o.Nginx,
            OpaUrl = Get("opa-url") is { } opa ? (Uri.TryCreate(opa, UriKind.Absolute, out _) ? opa : throw new ArgumentException($"--opa-url: '{opa}' is not an absolute URL")) : o.OpaUrl,
            PoliciesDir = Get("policies-dir") ?? o.PoliciesDir,
            PolicyFailure = Get("policy-failure") is { } pf ? OneOf("policy-failure", pf, "closed", "open") : o.PolicyFailure,
            PolicyMaxSteps = Get("policy-max-steps") is { } pms ? Positive("policy-max-steps", pms) : o.PolicyMaxSteps,
            PolicyTimeout = Get("policy-timeout-seconds") is { } pts ? AtLeast("policy-timeout-seconds", pts, 0.001) : o.PolicyTimeout,
            ImagePull = Get("image-pull") is { } ip ? Bool("image-pull", ip) : o.ImagePull,
            OrphanGrace = Get("orphan-grace-seconds") is { } og ? TimeSpan.FromSeconds(Int("orphan-grace-seconds", og)) : o.OrphanGrace,
            PrometheusUrl = Get("prometheus-url") is { } pu ? PrometheusUrlOf(pu) : o.PrometheusUrl,
            PrometheusPort = Get("prometheus-port") is { } pp ? Int("prometheus-port", pp) : o.PrometheusPort,
            ScrapeInterval = Get("scrape-interval-seconds") is { } si ? AtLeast("scrape-interval-seconds", si, 1) : o.ScrapeInterval,
            AutoscalerSync = Get("autoscaler-sync-seconds") is { } ss ? AtLeast("autoscaler-sync-seconds", ss, 1) : o.AutoscalerSync,
            AutoscalerWindow = Get("autoscaler-window-seconds") is { } ws ? AtLeast("autoscaler-window-seconds", ws, 1) : o.AutoscalerWindow,
            AutoscalerTolerance = Get("autoscaler-tolerance") is { } at ? Tolerance(at) : o.AutoscalerTolerance,
            CpuInitialization = Get("cpu-initialization-seconds") is { } ci ? TimeSpan.FromSeconds(Seconds("cpu-initialization-seconds", ci)) : o.CpuInitialization,
            AlertmanagerUrl = Get("alertmanager-url") is { } au ? UrlOrNone("alertmanager-url", au) : o.AlertmanagerUrl,
            AlertmanagerPort = Get("alertmanager-port") is { } ap2 ? Int("alertmanager-port", ap2) : o.AlertmanagerPort,
            AlertResendDelay = Get("alert-resend-delay-seconds") is { } rd ? AtLeast("alert-resend-delay-seconds", rd, 1) : o.AlertResendDelay,
            AlertActionInterval = Get("alert-action-interval-seconds") is { } ai ? TimeSpan.FromSeconds(Seconds("alert-action-interval-seconds", ai)) : o.AlertActionInterval,
            HttpBind = Get("http-bind") ?? o.HttpBind,
            TokensFile = Get("tokens-file") ?? o.TokensFile,
            AllowedHosts = Get("allowed-hosts") is { } hosts ? hosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : o.AllowedHosts,
            MetricsAuth = Get("metrics-auth") is { } ma ? Bool("metrics-auth", ma) : o.MetricsAuth,
            MaxWorkloads = Get("max-workloads") is { } mw ? (int)Math.Min(int.MaxValue, Positive("max-workloads", mw)) : o.MaxWorkloads,
            AllowProcessRuntime = Get("allow-process-runtime") is { } apr ? Bool("allow-process-runtime", apr) : o.AllowProcessRuntime,
            AkkaTlsCert = Get("akka-tls-cert") ?? o.AkkaTlsCert,
            AkkaTlsPassword = Get("akka-tls-password") ?? o.AkkaTlsPassword,
            AkkaTlsCa = Get("akka-tls-ca") ?? o.AkkaTlsCa,
        };
        if (parsed.Runtime == "process" && !parsed.AllowProcessRuntime)
        {
            throw new ArgumentException("--runtime process runs every spec's command on this host as Crane's user (no container, no isolation); " +
                "add --allow-process-runtime to allow that, or use --runtime docker");
        }

        if (parsed.AkkaTlsCert is null && (parsed.AkkaTlsCa ?? parsed.AkkaTlsPassword) is not null)
            throw new ArgumentException("--akka-tls-ca and --akka-tls-password need --akka-tls-cert (this member's certificate)");
        // A plain akka.tcp:// seed would never answer a member that speaks TLS: say so instead of looping on join attempts.
        if (parsed.AkkaTlsCert is not null && parsed.SeedAddresses().FirstOrDefault(a => !a.Contains("ssl.tcp://", StringComparison.Ordinal)) is { } plain)
            throw new ArgumentException($"--seed-nodes: '{plain}' is not a TLS address ({RemotingTls.Scheme}://...), but --akka-tls-cert is set");

        return parsed;
    }

    /// <summary>The scheme of every member's Akka address: <c>akka.ssl.tcp</c> with --akka-tls-cert, else <c>akka.tcp</c>.</summary>
    public string AkkaScheme => AkkaTlsCert is null ? "akka.tcp" : RemotingTls.Scheme;

    /// <summary>host:port entries become akka.tcp://crane@host:port (akka.ssl.tcp with TLS); full addresses pass through.</summary>
    public IReadOnlyList<string> SeedAddresses() =>
        SeedNodes.Select(s => s.Contains("://", StringComparison.Ordinal) ? s : $"{AkkaScheme}://crane@{s}").ToList();

    private static int Int(string flag, string v) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n : throw new ArgumentException($"--{flag}: '{v}' is not a non-negative integer");

    private static long Positive(string flag, string v) =>
        long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"--{flag}: '{v}' is not a positive integer");

    private static string DefaultNginx() => LoadBalancing.ChildProcess.FindOnPath("nginx") ?? "/usr/sbin/nginx";

    private static double Seconds(string flag, string v) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 ? d : throw new ArgumentException($"--{flag}: '{v}' is not a non-negative number of seconds");

    private static TimeSpan AtLeast(string flag, string v, double min) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= min
            ? TimeSpan.FromSeconds(d)
            : throw new ArgumentException($"--{flag}: '{v}' is not a number of seconds ≥ {min.ToString(CultureInfo.InvariantCulture)}");

    private static double Tolerance(string v) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d is >= 0 and < 1
            ? d
            : throw new ArgumentException($"--autoscaler-tolerance: '{v}' is not a fraction between 0 and 1 (e.g. 0.1)");

    private static string PrometheusUrlOf(string v) => UrlOrNone("prometheus-url", v);

    private static string UrlOrNone(string flag, string v) =>
        v == NoPrometheus || (Uri.TryCreate(v, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            ? v.TrimEnd('/')
            : throw new ArgumentException($"--{flag}: '{v}' is not an http(s) URL or '{NoPrometheus}'");

    private static double Cpu(string v) =>
        Quantity.TryParseCpu(v, out var c) && c > 0 ? c : throw new ArgumentException($"--capacity-cpu: '{v}' is not a cpu quantity (e.g. 2 or 500m)");

    private static long Memory(string v) =>
        Quantity.TryParseMemory(v, out var m) && m > 0 ? m : throw new ArgumentException($"--capacity-memory: '{v}' is not a memory quantity (e.g. 2Gi)");

    private static bool Bool(string flag, string v) =>
        bool.TryParse(v, out var b) ? b : throw new ArgumentException($"--{flag}: '{v}' is not true or false");

    private static string OneOf(string flag, string v, params string[] allowed) =>
        allowed.Contains(v) ? v : throw new ArgumentException($"--{flag}: '{v}' is not one of {string.Join(", ", allowed)}");

    private static Dictionary<string, string> Pairs(string flag, string v)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
                throw new ArgumentException($"--{flag}: '{pair}' is not key=value");
            result[pair[..eq]] = pair[(eq + 1)..];
        }

        return result;
    }
}
