using Crane.Contracts.Specs;

namespace Crane.Contracts.Tests.Specs;

public sealed class SpecParserTests
{
    private const string Seed = """
        name: api-service
        image: node:18
        replicas: 3
        resources: {cpu: 0.3, memory: 256Mi}
        health:
          liveness: {type: http, path: /health}
          readiness: {type: http, path: /ready}
        autoscaling: {min: 2, max: 10, metric: cpu, target: 70}
        """;

    private const string SeedJson = """
        {
          "name": "api-service",
          "image": "node:18",
          "replicas": 3,
          "resources": {"cpu": 0.3, "memory": "256Mi"},
          "health": {
            "liveness": {"type": "http", "path": "/health"},
            "readiness": {"type": "http", "path": "/ready"}
          },
          "autoscaling": {"min": 2, "max": 10, "metric": "cpu", "target": 70}
        }
        """;

    internal const string Full = """
        name: web
        image: ghcr.io/acme/web:1.2
        replicas: 0
        port: 8080
        command: [node, server.js]
        args: ["--verbose", 3]
        env: {LOG_LEVEL: debug, WORKERS: 4, EMPTY: ~}
        labels: {app: web, acme.io/tier: frontend}
        resources: {cpu: 1500m, memory: 1Gi}
        health:
          liveness: {type: tcp, port: 8081, initialDelaySeconds: 2.5, periodSeconds: 5, timeoutSeconds: 0.5, failureThreshold: 5}
          readiness: {type: http, path: /ready?full=1, successThreshold: 2}
          startup:
            type: exec
            command: test -f /tmp/ready
        autoscaling:
          min: 1
          max: 20
          metric: custom
          query: 'sum(rate(http_requests_total{app="web"}[1m]))'
          target: 100
          behavior:
            scaleUp:
              stabilizationWindowSeconds: 0
              selectPolicy: Max
              policies:
                - {type: Pods, value: 4, periodSeconds: 15}
                - {type: Percent, value: 100, periodSeconds: 15}
            scaleDown: {stabilizationWindowSeconds: 300}
        constraints:
          - {key: zone, operator: In, values: [a, b]}
          - {key: gpu, operator: DoesNotExist}
          - {key: cores, operator: Gt, values: [4]}
        strategy: spread
        spreadKey: zone
        runtime: process
        restartPolicy: OnFailure
        """;

    // Lines 1 and 2 of most error cases, so the line under test is line 3.
    private const string B = "name: a\nimage: b\n";

    private static WorkloadSpec Ok(string body)
    {
        var result = SpecParser.Parse(body);
        Assert.True(result.Ok, result.Error?.ToString());
        Assert.Null(result.Error);
        return result.Spec!;
    }

    private static SpecError Fails(string body)
    {
        var result = SpecParser.Parse(body);
        Assert.False(result.Ok, "expected an error, parsed " + (result.Spec is null ? "null" : SpecJson.Serialize(result.Spec)));
        Assert.Null(result.Spec);
        return result.Error!;
    }

    [Fact]
    public void Seed_example_parses_verbatim()
    {
        var spec = Ok(Seed);

        Assert.Equal("api-service", spec.Name);
        Assert.Equal("node:18", spec.Image);
        Assert.Equal(3, spec.Replicas);
        Assert.Equal(new ResourceSpec(0.3, 268435456), spec.Resources);
        Assert.Equal(new ProbeSpec { Type = "http", Path = "/health" }, spec.Health!.Liveness);
        Assert.Equal(new ProbeSpec { Type = "http", Path = "/ready" }, spec.Health.Readiness);
        Assert.Null(spec.Health.Startup);
        Assert.Null(spec.Health.Liveness!.Port);
        Assert.Equal(10, spec.Health.Liveness.PeriodSeconds);
        Assert.Equal(1, spec.Health.Liveness.TimeoutSeconds);
        Assert.Equal(3, spec.Health.Liveness.FailureThreshold);
        Assert.Equal(1, spec.Health.Liveness.SuccessThreshold);
        Assert.Equal(new AutoscalingSpec { Min = 2, Max = 10, Metric = "cpu", Target = 70 }, spec.Autoscaling);
        Assert.Null(spec.Port);
        Assert.Null(spec.Command);
        Assert.Null(spec.Args);
        Assert.Empty(spec.Env);
        Assert.Empty(spec.Labels);
        Assert.Empty(spec.Constraints);
        Assert.Null(spec.Strategy);
        Assert.Null(spec.Runtime);
        Assert.Equal("Always", spec.RestartPolicy);
    }

    [Fact]
    public void Seed_example_as_json_parses_identically()
    {
        Assert.Equal(SpecJson.Serialize(Ok(Seed)), SpecJson.Serialize(Ok(SeedJson)));
    }

    [Fact]
    public void Compact_json_with_tabs_parses_identically()
    {
        var compact = "{\"name\":\"api-service\",\"image\":\"node:18\",\"replicas\":3,\"resources\":{\"cpu\":\"300m\",\"memory\":268435456},"
            + "\n\t\"health\":{\"liveness\":{\"type\":\"http\",\"path\":\"\\/health\"},\"readiness\":{\"type\":\"http\",\"path\":\"/ready\"}},"
            + "\n\t\"autoscaling\":{\"min\":2,\"max\":10,\"metric\":\"cpu\",\"target\":70.0}}";
        Assert.Equal(SpecJson.Serialize(Ok(Seed)), SpecJson.Serialize(Ok(compact)));
    }

    [Fact]
    public void Every_field_parses()
    {
        var spec = Ok(Full);

        Assert.Equal(0, spec.Replicas);
        Assert.Equal(8080, spec.Port);
        Assert.Equal(["node", "server.js"], spec.Command);
        Assert.Equal(["--verbose", "3"], spec.Args);
        Assert.Equal(new Dictionary<string, string> { ["LOG_LEVEL"] = "debug", ["WORKERS"] = "4", ["EMPTY"] = "" }, spec.Env);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "web", ["acme.io/tier"] = "frontend" }, spec.Labels);
        Assert.Equal(new ResourceSpec(1.5, 1073741824), spec.Resources);

        var liveness = spec.Health!.Liveness!;
        Assert.Equal(("tcp", 8081, 2.5, 5.0, 0.5, 5, 1),
            (liveness.Type, liveness.Port, liveness.InitialDelaySeconds, liveness.PeriodSeconds, liveness.TimeoutSeconds, liveness.FailureThreshold, liveness.SuccessThreshold));
        Assert.Equal("/ready?full=1", spec.Health.Readiness!.Path);
        Assert.Equal(2, spec.Health.Readiness.SuccessThreshold);
        Assert.Equal("exec", spec.Health.Startup!.Type);
        Assert.Equal(["sh", "-c", "test -f /tmp/ready"], spec.Health.Startup.Command);

        var scaling = spec.Autoscaling!;
        Assert.Equal((1, 20, "custom", 100.0), (scaling.Min, scaling.Max, scaling.Metric, scaling.Target));
        Assert.Equal("sum(rate(http_requests_total{app=\"web\"}[1m]))", scaling.Query);
        Assert.Equal(0, scaling.Behavior!.ScaleUp!.StabilizationWindowSeconds);
        Assert.Equal("Max", scaling.Behavior.ScaleUp.SelectPolicy);
        Assert.Equal([new ScalingPolicySpec("Pods", 4, 15), new ScalingPolicySpec("Percent", 100, 15)], scaling.Behavior.ScaleUp.Policies);
        Assert.Equal(300, scaling.Behavior.ScaleDown!.StabilizationWindowSeconds);
        Assert.Null(scaling.Behavior.ScaleDown.SelectPolicy);
        Assert.Empty(scaling.Behavior.ScaleDown.Policies);

        Assert.Equal(3, spec.Constraints.Count);
        Assert.Equal(("zone", "In"), (spec.Constraints[0].Key, spec.Constraints[0].Operator));
        Assert.Equal(["a", "b"], spec.Constraints[0].Values);
        Assert.Empty(spec.Constraints[1].Values);
        Assert.Equal(["4"], spec.Constraints[2].Values);

        Assert.Equal(("spread", "zone", "process", "OnFailure"), (spec.Strategy, spec.SpreadKey, spec.Runtime, spec.RestartPolicy));
    }

    [Theory]
    [InlineData(B, 1)]
    [InlineData(B + "replicas: 0", 0)]
    [InlineData(B + "replicas: 1000", 1000)]
    [InlineData(B + "replicas: ~", 1)]        // null is the same as absent
    [InlineData(B + "replicas: null", 1)]
    [InlineData(B + "replicas:", 1)]
    [InlineData(B + "replicas: +7", 7)]
    public void Replicas_default_and_bounds(string body, int replicas) => Assert.Equal(replicas, Ok(body).Replicas);

    [Fact]
    public void Missing_resources_and_missing_halves_use_defaults()
    {
        Assert.Equal(ResourceSpec.Default, Ok(B).Resources);
        Assert.Equal(ResourceSpec.Default with { Cpu = 2 }, Ok(B + "resources: {cpu: 2}").Resources);
        Assert.Equal(ResourceSpec.Default with { Memory = 5_000_000 }, Ok(B + "resources: {memory: 5M}").Resources);
        Assert.Equal(ResourceSpec.Default with { Cpu = 0.25 }, Ok(B + "resources: {cpu: '250m'}").Resources);
    }

    [Fact]
    public void Command_string_means_sh_c()
    {
        Assert.Equal(["sh", "-c", "echo hi && sleep 1"], Ok(B + "command: echo hi && sleep 1").Command);
        Assert.Equal(["sh", "-c", "x"], Ok("{\"name\": \"a\", \"image\": \"b\", \"command\": \"x\"}").Command);
    }

    [Fact]
    public void Empty_health_block_is_no_health()
    {
        Assert.Null(Ok(B + "health: {}").Health);
        Assert.Null(Ok(B + "health: {liveness: ~}").Health);
    }

    [Fact]
    public void Anchors_and_aliases_resolve()
    {
        var spec = Ok(B + "labels: &l {app: a}\nenv: *l\nargs: [&x one, *x]");
        Assert.Equal("a", spec.Env["app"]);
        Assert.Equal(["one", "one"], spec.Args);
    }

    [Fact]
    public void Http_probe_port_may_come_from_the_workload()
    {
        var spec = Ok(B + "port: 3000\nhealth: {liveness: {type: tcp}}");
        Assert.Equal(3000, spec.Port);
        Assert.Null(spec.Health!.Liveness!.Port);
    }

    [Theory]
    // document
    [InlineData("", null, 1, 1)]
    [InlineData("# nothing but a comment\n", null, 1, 1)]
    [InlineData("- a\n- b", null, 1, 1)]
    [InlineData("just text", null, 1, 1)]
    [InlineData("name: a\n---\nname: b", null, 2, 1)]
    [InlineData("name: a\n image: b", null, 2, 7)]
    [InlineData("name: 'a\nimage: b", null, 1, 7)]
    [InlineData("{\"name\": \"a\",, \"image\": \"b\"}", null, 1, 14)]
    [InlineData(B + "name: c", "name", 3, 1)]
    [InlineData(B + "resources: {cpu: 1, cpu: 2}", "resources.cpu", 3, 21)]
    [InlineData(B + "env: {A: 1}\nlabels: {? [x] : y}", "labels", 4, 12)]
    [InlineData(B + "strategy: !custom a", "strategy", 3, 11)]
    [InlineData(B + "args: [*nope]", "args[0]", 3, 8)]
    // unknown fields
    [InlineData(B + "gpu: 1", "gpu", 3, 1)]
    [InlineData(B + "Replicas: 1", "Replicas", 3, 1)]
    [InlineData(B + "resources: {cpu: 1, gpus: 2}", "resources.gpus", 3, 21)]
    [InlineData(B + "health:\n  liveness: {type: tcp, host: x}", "health.liveness.host", 4, 25)]
    [InlineData(B + "health: {ready: {type: tcp}}", "health.ready", 3, 10)]
    [InlineData(B + "autoscaling: {max: 2, target: 1, behavior: {scaleUp: {window: 1}}}", "autoscaling.behavior.scaleUp.window", 3, 55)]
    [InlineData(B + "constraints: [{key: a, operator: Exists, value: x}]", "constraints[0].value", 3, 42)]
    // name and image
    [InlineData("image: b", "name", 1, 1)]
    [InlineData("name: ~\nimage: b", "name", 1, 1)]
    [InlineData("name: ''\nimage: b", "name", 1, 7)]
    [InlineData("name: API\nimage: b", "name", 1, 7)]
    [InlineData("name: -api\nimage: b", "name", 1, 7)]
    [InlineData("name: api-\nimage: b", "name", 1, 7)]
    [InlineData("name: a.b\nimage: b", "name", 1, 7)]
    [InlineData("name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nimage: b", "name", 1, 7)]
    [InlineData("name: [a]\nimage: b", "name", 1, 7)]
    [InlineData("name: {a: 1}\nimage: b", "name", 1, 7)]
    [InlineData("name: a", "image", 1, 1)]
    [InlineData("name: a\nimage: \"\"", "image", 2, 8)]
    [InlineData("name: a\nimage: 'node 18'", "image", 2, 8)]
    // replicas
    [InlineData(B + "replicas: -1", "replicas", 3, 11)]
    [InlineData(B + "replicas: 1001", "replicas", 3, 11)]
    [InlineData(B + "replicas: 3.5", "replicas", 3, 11)]
    [InlineData(B + "replicas: 3.0", "replicas", 3, 11)]
    [InlineData(B + "replicas: '3'", "replicas", 3, 11)]
    [InlineData(B + "replicas: three", "replicas", 3, 11)]
    [InlineData(B + "replicas: 0x10", "replicas", 3, 11)]
    [InlineData(B + "replicas: [3]", "replicas", 3, 11)]
    [InlineData(B + "replicas: 99999999999999999999", "replicas", 3, 11)]
    [InlineData("{\"name\": \"a\", \"image\": \"b\", \"replicas\": \"3\"}", "replicas", 1, 41)]
    // resources
    [InlineData(B + "resources: {cpu: 0.3, memory: 256MB}", "resources.memory", 3, 31)]
    [InlineData(B + "resources: {memory: 12Xi}", "resources.memory", 3, 21)]
    [InlineData(B + "resources: {memory: 0}", "resources.memory", 3, 21)]
    [InlineData(B + "resources: {memory: -1Gi}", "resources.memory", 3, 21)]
    [InlineData(B + "resources: {memory: [1]}", "resources.memory", 3, 21)]
    [InlineData(B + "resources: {cpu: 0}", "resources.cpu", 3, 18)]
    [InlineData(B + "resources: {cpu: -1}", "resources.cpu", 3, 18)]
    [InlineData(B + "resources: {cpu: 2 cores}", "resources.cpu", 3, 18)]
    [InlineData(B + "resources: {cpu: {n: 1}}", "resources.cpu", 3, 18)]
    [InlineData(B + "resources: 2", "resources", 3, 12)]
    // port
    [InlineData(B + "port: 0", "port", 3, 7)]
    [InlineData(B + "port: 65536", "port", 3, 7)]
    [InlineData(B + "port: http", "port", 3, 7)]
    // probes
    [InlineData(B + "health: [1]", "health", 3, 9)]
    [InlineData(B + "health: {liveness: http}", "health.liveness", 3, 20)]
    [InlineData(B + "health: {liveness: {path: /h}}", "health.liveness.type", 3, 20)]
    [InlineData(B + "health: {liveness: {type: grpc}}", "health.liveness.type", 3, 27)]
    [InlineData(B + "health: {liveness: {type: HTTP, path: /}}", "health.liveness.type", 3, 27)]
    [InlineData(B + "health: {readiness: {type: http}}", "health.readiness.path", 3, 21)]
    [InlineData(B + "health:\n  liveness: {type: http, path: health}", "health.liveness.path", 4, 32)]
    [InlineData(B + "health:\n  liveness: {type: tcp, path: /h}", "health.liveness.path", 4, 31)]
    [InlineData(B + "health:\n  liveness: {type: http, path: /h, port: 70000}", "health.liveness.port", 4, 42)]
    [InlineData(B + "health:\n  liveness: {type: exec}", "health.liveness.command", 4, 13)]
    [InlineData(B + "health:\n  liveness: {type: exec, command: []}", "health.liveness.command", 4, 35)]
    [InlineData(B + "health:\n  liveness: {type: exec, command: ''}", "health.liveness.command", 4, 35)]
    [InlineData(B + "health:\n  liveness: {type: exec, command: [ls], port: 80}", "health.liveness.port", 4, 47)]
    [InlineData(B + "health:\n  liveness: {type: tcp, command: [ls]}", "health.liveness.command", 4, 34)]
    [InlineData(B + "health:\n  startup: {type: tcp, periodSeconds: 0}", "health.startup.periodSeconds", 4, 39)]
    [InlineData(B + "health:\n  startup: {type: tcp, timeoutSeconds: 0}", "health.startup.timeoutSeconds", 4, 40)]
    [InlineData(B + "health:\n  startup: {type: tcp, timeoutSeconds: '1'}", "health.startup.timeoutSeconds", 4, 40)]
    [InlineData(B + "health:\n  startup: {type: tcp, initialDelaySeconds: -1}", "health.startup.initialDelaySeconds", 4, 45)]
    [InlineData(B + "health:\n  startup: {type: tcp, initialDelaySeconds: .inf}", "health.startup.initialDelaySeconds", 4, 45)]
    [InlineData(B + "health:\n  startup: {type: tcp, failureThreshold: 0}", "health.startup.failureThreshold", 4, 42)]
    [InlineData(B + "health:\n  startup: {type: tcp, failureThreshold: 1.5}", "health.startup.failureThreshold", 4, 42)]
    [InlineData(B + "health:\n  startup: {type: tcp, successThreshold: 2}", "health.startup.successThreshold", 4, 42)]
    [InlineData(B + "health:\n  liveness: {type: tcp, successThreshold: 2}", "health.liveness.successThreshold", 4, 43)]
    [InlineData(B + "health:\n  readiness: {type: tcp, successThreshold: 0}", "health.readiness.successThreshold", 4, 44)]
    // autoscaling
    [InlineData(B + "autoscaling: [1]", "autoscaling", 3, 14)]
    [InlineData(B + "autoscaling: {min: 0, max: 3, target: 50}", "autoscaling.min", 3, 20)]
    [InlineData(B + "autoscaling: {min: 5, max: 3, target: 50}", "autoscaling.max", 3, 28)]
    [InlineData(B + "autoscaling: {min: 1, max: 1001, target: 50}", "autoscaling.max", 3, 28)]
    [InlineData(B + "autoscaling: {min: 2, target: 50}", "autoscaling.max", 3, 14)]
    [InlineData(B + "autoscaling: {max: 3}", "autoscaling.target", 3, 14)]
    [InlineData(B + "autoscaling: {max: 3, target: 0}", "autoscaling.target", 3, 31)]
    [InlineData(B + "autoscaling: {max: 3, target: 70%}", "autoscaling.target", 3, 31)]
    [InlineData(B + "autoscaling: {max: 3, metric: gpu, target: 5}", "autoscaling.metric", 3, 31)]
    [InlineData(B + "autoscaling: {max: 3, metric: custom, target: 5}", "autoscaling.query", 3, 14)]
    [InlineData(B + "autoscaling: {max: 3, metric: custom, target: 5, query: ' '}", "autoscaling.query", 3, 57)]
    [InlineData(B + "autoscaling: {max: 3, target: 5, query: up}", "autoscaling.query", 3, 41)]
    [InlineData(B + "autoscaling: {max: 3, target: 5, behavior: []}", "autoscaling.behavior", 3, 44)]
    [InlineData(B + "autoscaling: {max: 3, target: 5, behavior: {scaleDown: {selectPolicy: max}}}", "autoscaling.behavior.scaleDown.selectPolicy", 3, 71)]
    [InlineData(B + "autoscaling: {max: 3, target: 5, behavior: {scaleDown: {stabilizationWindowSeconds: -1}}}", "autoscaling.behavior.scaleDown.stabilizationWindowSeconds", 3, 85)]
    [InlineData(B + "autoscaling: {max: 3, target: 5, behavior: {scaleDown: {policies: {type: Pods}}}}", "autoscaling.behavior.scaleDown.policies", 3, 67)]
    [InlineData(B + "autoscaling:\n  max: 5\n  target: 50\n  behavior:\n    scaleUp:\n      policies:\n        - {type: Pods, value: 2, periodSeconds: 60}\n        - {type: Nodes, value: 2, periodSeconds: 60}", "autoscaling.behavior.scaleUp.policies[1].type", 10, 18)]
    [InlineData(B + "autoscaling:\n  max: 5\n  target: 50\n  behavior:\n    scaleUp:\n      policies:\n        - {type: Pods, value: 0, periodSeconds: 60}", "autoscaling.behavior.scaleUp.policies[0].value", 9, 31)]
    [InlineData(B + "autoscaling:\n  max: 5\n  target: 50\n  behavior:\n    scaleUp:\n      policies:\n        - {type: Pods, value: 1, periodSeconds: 0}", "autoscaling.behavior.scaleUp.policies[0].periodSeconds", 9, 49)]
    [InlineData(B + "autoscaling:\n  max: 5\n  target: 50\n  behavior:\n    scaleUp:\n      policies:\n        - {type: Pods, value: 1}", "autoscaling.behavior.scaleUp.policies[0].periodSeconds", 9, 11)]
    [InlineData(B + "autoscaling:\n  max: 5\n  target: 50\n  behavior:\n    scaleUp:\n      policies:\n        - Pods", "autoscaling.behavior.scaleUp.policies[0]", 9, 11)]
    // constraints
    [InlineData(B + "constraints: {key: a}", "constraints", 3, 14)]
    [InlineData(B + "constraints: [zone]", "constraints[0]", 3, 15)]
    [InlineData(B + "constraints:\n  - {key: zone, operator: In, values: [a]}\n  - {key: zone, operator: Near, values: [a]}", "constraints[1].operator", 5, 27)]
    [InlineData(B + "constraints:\n  - {key: zone, operator: In}", "constraints[0].values", 4, 5)]
    [InlineData(B + "constraints:\n  - {key: zone, operator: NotIn, values: []}", "constraints[0].values", 4, 42)]
    [InlineData(B + "constraints:\n  - {key: zone, operator: Exists, values: [a]}", "constraints[0].values", 4, 43)]
    [InlineData(B + "constraints:\n  - {key: cores, operator: Gt, values: [4, 5]}", "constraints[0].values", 4, 40)]
    [InlineData(B + "constraints:\n  - {key: cores, operator: Lt, values: [four]}", "constraints[0].values[0]", 4, 41)]
    [InlineData(B + "constraints:\n  - {key: cores, operator: Lt, values: [4.5]}", "constraints[0].values[0]", 4, 41)]
    [InlineData(B + "constraints:\n  - {key: cores, operator: Gt}", "constraints[0].values", 4, 5)]
    [InlineData(B + "constraints:\n  - {operator: Exists}", "constraints[0].key", 4, 5)]
    [InlineData(B + "constraints:\n  - {key: '', operator: Exists}", "constraints[0].key", 4, 11)]
    [InlineData(B + "constraints:\n  - {key: 'a b', operator: Exists}", "constraints[0].key", 4, 11)]
    [InlineData(B + "constraints:\n  - {key: a}", "constraints[0].operator", 4, 5)]
    [InlineData(B + "constraints:\n  - {key: a, operator: In, values: a}", "constraints[0].values", 4, 36)]
    // command, args, env, labels
    [InlineData(B + "command: []", "command", 3, 10)]
    [InlineData(B + "command: ['', x]", "command[0]", 3, 11)]
    [InlineData(B + "command: [ls, {a: b}]", "command[1]", 3, 15)]
    [InlineData(B + "command: [ls, ~]", "command[1]", 3, 15)]
    [InlineData(B + "command: {a: b}", "command", 3, 10)]
    [InlineData(B + "args: x", "args", 3, 7)]
    [InlineData(B + "args: [a, [b]]", "args[1]", 3, 11)]
    [InlineData(B + "env: [A]", "env", 3, 6)]
    [InlineData(B + "env: {A: {b: 1}}", "env.A", 3, 10)]
    [InlineData(B + "env: {A: 1, 'B=C': x}", "env.B=C", 3, 13)]
    [InlineData(B + "env: {'': x}", "env.''", 3, 7)]
    [InlineData(B + "labels: {'bad key': x}", "labels.bad key", 3, 10)]
    [InlineData(B + "labels: {-x: y}", "labels.-x", 3, 10)]
    [InlineData(B + "labels: {a: [y]}", "labels.a", 3, 13)]
    // strategy, spreadKey, runtime, restartPolicy
    [InlineData(B + "strategy: BinPack", "strategy", 3, 11)]
    [InlineData(B + "strategy: ''", "strategy", 3, 11)]
    [InlineData(B + "strategy: 1st", "strategy", 3, 11)]
    [InlineData(B + "spreadKey: 'a b'", "spreadKey", 3, 12)]
    [InlineData(B + "spreadKey: ''", "spreadKey", 3, 12)]
    [InlineData(B + "runtime: podman", "runtime", 3, 10)]
    [InlineData(B + "runtime: Docker", "runtime", 3, 10)]
    [InlineData(B + "restartPolicy: always", "restartPolicy", 3, 16)]
    [InlineData(B + "restartPolicy: [Always]", "restartPolicy", 3, 16)]
    public void Errors_name_field_line_and_column(string body, string? field, int line, int column)
    {
        var error = Fails(body);
        Assert.Equal((field, line, column), (error.Field, error.Line, error.Column));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Theory]
    [InlineData(B + "gpu: 1", "unknown field 'gpu'")]
    [InlineData(B + "resources: {cpu: 0.3, memory: 256MB}", "256MB")]
    [InlineData(B + "replicas: -1", "between 0 and 1000")]
    [InlineData(B + "replicas: 3.5", "must be an integer")]
    [InlineData(B + "replicas: '3'", "the string \"3\"")]
    [InlineData(B + "name: c", "duplicate key 'name'")]
    [InlineData("", "empty")]
    [InlineData("name: a\n---\nname: b", "second")]
    [InlineData("image: b", "name is required")]
    [InlineData("name: a\n image: b", "malformed YAML or JSON")]
    [InlineData(B + "health: {liveness: {type: grpc}}", "http, tcp, exec")]
    public void Error_messages_say_what_is_wrong(string body, string fragment)
    {
        Assert.Contains(fragment, Fails(body).Message);
    }

    [Fact]
    public void Malformed_flow_collection_is_an_error_with_a_position()
    {
        // YamlDotNet throws InvalidOperationException here, not YamlException.
        var error = Fails("name: [a, b\nimage: c");
        Assert.Null(error.Field);
        Assert.NotNull(error.Line);
        Assert.NotNull(error.Column);
    }

    [Fact]
    public void Deep_nesting_is_rejected_without_recursion()
    {
        var error = Fails(B + "args: " + new string('[', 100_000));
        Assert.Contains("nests deeper", error.Message);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void Truncated_and_mutated_input_never_throws()
    {
        // Every prefix, and a fixed set of random single-character edits, of both spec formats.
        var random = new Random(42);
        const string alphabet = "{}[],:'\"-#&*!|>?% \n\t\\aZ09.";
        foreach (var text in new[] { Full, SeedJson })
        {
            for (var i = 0; i <= text.Length; i++)
                _ = SpecParser.Parse(text[..i]);
            for (var i = 0; i < 2000; i++)
            {
                var chars = text.ToCharArray();
                chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
                var result = SpecParser.Parse(new string(chars));
                Assert.True(result.Ok ^ result.Error is not null);
            }
        }
    }
}
