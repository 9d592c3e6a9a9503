using System.Globalization;
using System.Text;

namespace Crane.IntegrationTests;

/// <summary>Workload specs the tests apply, and unique workload names.</summary>
internal static class Specs
{
    /// <summary>A name no other test (or concurrent test run) uses: container names are global to the engine.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 7)];

    /// <summary>The demo app on 8080 with a fast readiness probe on /ready.</summary>
    public static string Demo(string name, int replicas, string cpu = "0.1", string memory = "32Mi",
        IReadOnlyDictionary<string, string>? env = null, string image = DockerCli.DemoImage)
    {
        var yaml = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"name: {name}")
            .AppendLine(CultureInfo.InvariantCulture, $"image: {image}")
            .AppendLine(CultureInfo.InvariantCulture, $"replicas: {replicas}")
            .AppendLine("port: 8080")
            .AppendLine(CultureInfo.InvariantCulture, $"resources: {{cpu: {cpu}, memory: {memory}}}")
            .AppendLine("health:")
            .AppendLine("  readiness: {type: http, path: /ready, periodSeconds: 1}");
        if (env is { Count: > 0 })
        {
            yaml.AppendLine("env:");
            foreach (var (key, value) in env)
                yaml.AppendLine(CultureInfo.InvariantCulture, $"  {key}: \"{value}\"");
        }

        return yaml.ToString();
    }

    /// <summary>
    /// The demo app on 8080 with the given <c>health:</c> block (each line indented by two spaces, e.g.
    /// <c>"  liveness: {type: http, path: /health}"</c>) and optional extra top-level YAML.
    /// </summary>
    public static string Probed(string name, int replicas, string health, string extra = "", string cpu = "0.1", string memory = "32Mi") =>
        new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"name: {name}")
            .AppendLine(CultureInfo.InvariantCulture, $"image: {DockerCli.DemoImage}")
            .AppendLine(CultureInfo.InvariantCulture, $"replicas: {replicas}")
            .AppendLine("port: 8080")
            .AppendLine(CultureInfo.InvariantCulture, $"resources: {{cpu: {cpu}, memory: {memory}}}")
            .AppendLine("health:")
            .AppendLine(health.TrimEnd())
            .Append(extra)
            .ToString();
}
