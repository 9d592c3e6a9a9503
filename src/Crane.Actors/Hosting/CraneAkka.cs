using Akka.Actor;
using Akka.Event;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using Akka.Remote.Hosting;
using Crane.Actors.Alerts;
using Crane.Actors.Autoscaling;
using Crane.Actors.Events;
using Crane.Actors.Monitoring;
using Crane.Actors.LoadBalancing;
using Crane.Actors.Nodes;
using Crane.Actors.Policy;
using Crane.Actors.Scheduling;
using Crane.Actors.Workloads;
using Crane.Runtime;
using Crane.Scheduling;
using LinqToDB;
using Microsoft.Extensions.DependencyInjection;

namespace Crane.Actors.Hosting;

/// <summary>Where this seed's NGINX listens.</summary>
public sealed record LoadBalancerAddress(string Host, int Port);

/// <summary>Where the autoscaler and apply-time query validation reach Prometheus; null with --prometheus-url none.</summary>
public sealed record PrometheusEndpoint(PrometheusClient? Client);

/// <summary>Registry key for the node's own NodeActor (worker role).</summary>
public sealed class LocalNode;

/// <summary>Builds the `crane` actor system for the control role, the worker role, or both (all-in-one).</summary>
public static class CraneAkka
{
    public const string SystemName = "crane";
    public const string ControlRole = "control";
    public const string WorkerRole = "worker";

    public static IServiceCollection AddCrane(this IServiceCollection services, CraneOptions options, bool control, bool worker)
    {
        // Read here, not when the actor system starts: a wrong file or password stops the start with its message.
        var tls = RemotingTls.Load(options, TimeProvider.System);
        Directory.CreateDirectory(options.DataDir);
        var strategies = StrategyRegistry.CreateDefault();
        services.AddSingleton(strategies);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(sp => new EventPublisher(sp.GetRequiredService<ActorSystem>(), sp.GetRequiredService<TimeProvider>()));
        if (worker)
            services.AddSingleton<IContainerRuntime>(_ => RuntimeFactory.Create(options.Runtime, DockerEndpoint(options), options.DataDir, null, options.ImagePull));

        var lbPort = control ? FreePortIfZero(options.LbPort, options, "lb.port") : 0;
        services.AddSingleton(new LoadBalancerAddress("127.0.0.1", lbPort));
        var prometheusUrl = control ? PrometheusUrl(options) : null;
        var prometheus = prometheusUrl is null ? null : new PrometheusClient(new HttpClient { Timeout = TimeSpan.FromSeconds(5) }, new Uri(prometheusUrl));
        services.AddSingleton(new PrometheusEndpoint(prometheus));
        var alertmanager = control ? AlertmanagerAddress(options) : null;
        if (worker)
        {
            services.AddHostedService(sp => new ContainerStatsCollector(sp.GetRequiredService<IContainerRuntime>(), options.NodeName, options.ContainerLabels,
                TimeSpan.FromSeconds(1)));
        }

        var roles = new List<string>();
        if (control)
            roles.Add(ControlRole);
        if (worker)
            roles.Add(WorkerRole);

        services.AddAkka(SystemName, (builder, sp) =>
        {
            var hocon = Path.Combine(AppContext.BaseDirectory, "hocon", "crane.conf");
            builder.AddHocon(Akka.Configuration.ConfigurationFactory.ParseString(File.ReadAllText(hocon)), HoconAddMode.Prepend);
            if (tls is null)
                builder.WithRemoting(options.Hostname, options.AkkaPort);
            else
                builder.WithRemoting(tls.RemoteOptions(options.Hostname, options.AkkaPort, sp.GetRequiredService<TimeProvider>()));
            var seeds = options.SeedAddresses().ToArray();
            builder.WithClustering(new ClusterOptions { Roles = roles.ToArray(), SeedNodes = seeds });
            builder.AddStartup((system, _) =>
            {
                if (seeds.Length == 0)
                    Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(system).SelfAddress);
            });

            var time = sp.GetRequiredService<TimeProvider>();
            var extractor = new WorkloadMessageExtractor();
            if (control)
            {
                builder.WithSqlPersistence(ConnectionString(options), ProviderName(options));
                builder.WithSingleton<PolicySingleton>("policy",
                    (system, _, _) => PolicyActor.Props(PolicyEngine(options, time), new EventPublisher(system, time), PolicyFiles.Read(options.PoliciesDir)),
                    new ClusterSingletonOptions { Role = ControlRole });
                builder.WithSingleton<SchedulerSingleton>("scheduler",
                    (system, registry, _) =>
                    {
                        var policyFilter = new PolicyFilter();
                        return SchedulerActor.Props(new Placer(strategies, options.DefaultStrategy, [policyFilter]), new EventPublisher(system, time),
                            () => registry.Get<WorkloadRegion>(), registry.Get<PolicySingleton>(), policyFilter, options.PolicyTimeout);
                    },
                    new ClusterSingletonOptions { Role = ControlRole });
                if (alertmanager is { Own: true } ownAlertmanager)
                {
                    builder.WithSingleton<AlertmanagerSingleton>("alertmanager",
                        (system, _, _) => AlertmanagerActor.Props(
                            new AlertmanagerOptions(Path.GetFullPath(Path.Combine(options.DataDir, "alertmanager")), ownAlertmanager.Port)
                            {
                                WebhookTokenFile = Path.GetFullPath(Path.Combine(options.DataDir, "alertmanager.token")),
                            },
                            new EventPublisher(system, time)),
                        new ClusterSingletonOptions { Role = ControlRole });
                }

                if (prometheusUrl is not null)
                {
                    var manage = options.PrometheusUrl is null;
                    builder.WithSingleton<PrometheusSingleton>("prometheus",
                        (system, _, _) => PrometheusActor.Props(
                            new PrometheusOptions(Path.GetFullPath(Path.Combine(options.DataDir, "prometheus")), manage ? new Uri(prometheusUrl).Port : 0, [])
                            {
                                ScrapeInterval = options.ScrapeInterval,
                                Manage = manage,
                                Alertmanagers = alertmanager is { } am ? [$"{am.Host}:{am.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}"] : [],
                                AlertResendDelay = options.AlertResendDelay,
                                DefaultRules = ShippedRules(),
                            },
                            new EventPublisher(system, time)),
                        new ClusterSingletonOptions { Role = ControlRole });
                }

                builder.WithSingleton<AutoscalerSingleton>("autoscaler",
                    (system, registry, _) => AutoscalerActor.Props(
                        new AutoscalerSettings
                        {
                            SyncPeriod = options.AutoscalerSync,
                            Calculator = new ReplicaCalculatorSettings
                            {
                                Tolerance = options.AutoscalerTolerance,
                                MetricWindow = options.AutoscalerWindow,
                                CpuInitializationPeriod = options.CpuInitialization,
                            },
                        },
                        prometheus is null ? new NoMetricsReader() : new PrometheusMetricsReader(prometheus, options.AutoscalerWindow),
                        () => registry.Get<WorkloadRegion>(),
                        registry.Get<PolicySingleton>(),
                        new EventPublisher(system, time),
                        time),
                    new ClusterSingletonOptions { Role = ControlRole });
                builder.WithSingleton<AlertReceiverSingleton>("alert-receiver",
                    (system, registry, _) => AlertReceiverActor.Props(() => registry.Get<WorkloadRegion>(), registry.Get<PolicySingleton>(),
                        new EventPublisher(system, time), time, options.AlertActionInterval),
                    new ClusterSingletonOptions { Role = ControlRole });
                builder.WithSingleton<LoadBalancerSingleton>("load-balancer",
                    (system, _, _) => LoadBalancerActor.Props(
                        new LoadBalancerOptions(Path.GetFullPath(Path.Combine(options.DataDir, "nginx")), lbPort, options.Nginx, TimeSpan.FromMilliseconds(100)),
                        new EventPublisher(system, time)),
                    new ClusterSingletonOptions { Role = ControlRole });
                var settings = new WorkloadSettings(options.Drain);
                builder.WithShardRegion<WorkloadRegion>("workload",
                    (system, registry, _) =>
                    {
                        var publisher = new EventPublisher(system, time);
                        var peers = new WorkloadPeers(registry.Get<SchedulerSingleton>(), registry.Get<LoadBalancerSingleton>(),
                            registry.Get<AutoscalerSingleton>(), prometheusUrl is null ? ActorRefs.Nobody : registry.Get<PrometheusSingleton>());
                        return name => WorkloadActor.Props(name, peers, settings, publisher, time);
                    },
                    extractor,
                    new ShardOptions
                    {
                        Role = ControlRole,
                        RememberEntities = true,
                        RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
                        StateStoreMode = StateStoreMode.Persistence,
                    });
                // Persistent per control member; the id must not change across restarts of the member.
                builder.WithActors((system, registry) =>
                    registry.Register<EventLogActor>(system.ActorOf(EventLogActor.Supervised(EventLogActor.PersistenceIdFor(options.Hostname, options.AkkaPort)), "events")));
            }
            else
            {
                builder.WithSingletonProxy<SchedulerSingleton>("scheduler", new ClusterSingletonOptions { Role = ControlRole });
                builder.WithShardRegionProxy<WorkloadRegion>("workload", ControlRole, extractor);
            }

            builder.WithActors((system, registry) =>
                registry.Register<LocalActorHealth>(system.ActorOf(LocalActorHealth.Props(WatchedActors(control, worker, prometheusUrl is not null, alertmanager is { Own: true })), "health")));

            if (worker)
            {
                var runtime = sp.GetRequiredService<IContainerRuntime>();
                builder.WithActors((system, registry) =>
                {
                    var node = new NodeOptions(options.NodeName, $"{options.Hostname}:{options.AkkaPort}", options.CapacityCpu, options.CapacityMemory,
                        options.Labels, options.ContainerLabels, options.OrphanGrace, TimeSpan.FromSeconds(2));
                    var actor = system.ActorOf(NodeActor.Props(node, runtime, registry.Get<SchedulerSingleton>(), registry.Get<WorkloadRegion>(),
                        new EventPublisher(system, time), time), "node");
                    registry.Register<LocalNode>(actor);
                });
                builder.AddStartup((system, _) =>
                {
                    // Downed by the cluster (e.g. after a partition): the replicas were rescheduled elsewhere, so this node
                    // must not keep serving as a zombie. A plain stop (SIGTERM) keeps the containers for adoption.
                    CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "crane-remove-own-containers", async () =>
                    {
                        if (CoordinatedShutdown.Get(system).ShutdownReason is CoordinatedShutdown.ClusterDowningReason)
                        {
                            system.Log.Warning("This member was downed: removing the containers of node {0}", options.NodeName);
                            await NodeActor.RemoveOwnContainers(runtime, options.NodeName, options.ContainerLabels);
                        }

                        return Akka.Done.Instance;
                    });
                });
            }
        });
        return services;
    }

    /// <summary>
    /// What /healthz watches in this process: the singletons (found only where this member hosts them), the event log's
    /// actor (the child of its backoff supervisor) and the node.
    /// </summary>
    private static Dictionary<string, string> WatchedActors(bool control, bool worker, bool prometheus, bool ownAlertmanager)
    {
        var watched = new Dictionary<string, string>(StringComparer.Ordinal);
        if (control)
        {
            var singletons = new List<string> { "scheduler", "policy", "autoscaler", "alert-receiver", "load-balancer" };
            if (prometheus)
                singletons.Add("prometheus");
            if (ownAlertmanager)
                singletons.Add("alertmanager");
            foreach (var name in singletons)
                watched[name] = $"/user/{name}/{name}";
            watched["event-log"] = "/user/events/log";
        }

        if (worker)
            watched["node"] = "/user/node";
        return watched;
    }

    /// <summary>Once the process' HTTP server listens: announce its /metrics to the Prometheus owner (the crane scrape job).</summary>
    public static void AnnounceMetrics(ActorSystem system, CraneOptions options, bool control, bool worker, int httpPort)
    {
        var role = string.Join(",", new[] { control ? ControlRole : null, worker ? WorkerRole : null }.OfType<string>());
        var member = worker ? options.NodeName : $"seed-{options.Hostname}:{options.AkkaPort.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        // Bound to every interface: scrape it at the member's own name; else at the address it is bound to.
        var host = options.HttpBind is "0.0.0.0" or "::" ? options.Hostname : options.HttpBind;
        system.ActorOf(MetricsAnnouncer.Props(new Contracts.Messages.MemberMetricsEndpoint(member, role, host, httpPort)), "metrics-announcer");
    }

    /// <summary>
    /// Where the autoscaler reads metrics: Crane's own Prometheus on 127.0.0.1 (port 0: a free one, written to
    /// &lt;data-dir&gt;/prometheus.port), the --prometheus-url one, or none.
    /// </summary>
    private static string? PrometheusUrl(CraneOptions options) => options.PrometheusUrl switch
    {
        CraneOptions.NoPrometheus => null,
        { } url => url,
        null => $"http://127.0.0.1:{FreePortIfZero(options.PrometheusPort, options, "prometheus.port").ToString(System.Globalization.CultureInfo.InvariantCulture)}",
    };

    /// <summary>Port 0 picks a free loopback port; the chosen one is written to &lt;data-dir&gt;/<paramref name="file"/>.</summary>
    private static int FreePortIfZero(int port, CraneOptions options, string file)
    {
        if (port == 0)
        {
            var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }

        File.WriteAllText(Path.Combine(options.DataDir, file), port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return port;
    }

    private sealed record AlertmanagerAt(string Host, int Port, bool Own);

    /// <summary>
    /// Where Prometheus sends alerts: Crane's own Alertmanager (only beside its own Prometheus; port 0: a free one, written to
    /// &lt;data-dir&gt;/alertmanager.port), the --alertmanager-url one, or none.
    /// </summary>
    private static AlertmanagerAt? AlertmanagerAddress(CraneOptions options)
    {
        if (options.AlertmanagerUrl == CraneOptions.NoPrometheus || options.PrometheusUrl == CraneOptions.NoPrometheus)
            return null;
        if (options.AlertmanagerUrl is { } url)
        {
            var uri = new Uri(url);
            return new AlertmanagerAt(uri.Host, uri.Port, Own: false);
        }

        return options.PrometheusUrl is null
            ? new AlertmanagerAt("127.0.0.1", FreePortIfZero(options.AlertmanagerPort, options, "alertmanager.port"), Own: true)
            : null;
    }

    /// <summary>deploy/prometheus/rules/crane.rules.yml, embedded at build time: the rules a new Prometheus starts with.</summary>
    private static string? ShippedRules()
    {
        using var stream = typeof(CraneAkka).Assembly.GetManifestResourceStream("Crane.Actors.crane.rules.yml");
        return stream is null ? null : new StreamReader(stream).ReadToEnd();
    }

    private static IPolicyEngine PolicyEngine(CraneOptions options, TimeProvider time) =>
        options.OpaUrl is { } url
            ? new OpaPolicyEngine(new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(3) }, options.PolicyTimeout)
            : new EmbeddedPolicyEngine(time, PolicyLimits.Default with { MaxSteps = options.PolicyMaxSteps, Timeout = options.PolicyTimeout });

    private static Uri DockerEndpoint(CraneOptions options) =>
        options.DockerEndpoint is { } endpoint ? new Uri(endpoint) : DockerRuntime.DefaultEndpoint();

    private static string ConnectionString(CraneOptions options) =>
        options.ConnectionString ?? (options.Persistence == "sqlite"
            ? $"Data Source={Path.GetFullPath(Path.Combine(options.DataDir, "crane.db"))}"
            : throw new ArgumentException("--persistence postgres needs --connection-string"));

    private static string ProviderName(CraneOptions options) =>
        options.Persistence == "postgres" ? LinqToDB.ProviderName.PostgreSQL15 : LinqToDB.ProviderName.SQLiteMS;
}
