namespace Crane.IntegrationTests;

/// <summary>Waits on a workload of a <see cref="CraneCluster"/>, where the view also lists Lost and Stopping replicas.</summary>
internal static class ClusterConverge
{
    /// <summary>Replicas that count toward the desired number: not Lost (on a lost node, shown for a minute) and not Stopping.</summary>
    public static IReadOnlyList<ReplicaDto> Active(WorkloadDto w) =>
        w.Replicas.Where(r => r.State is not ("Lost" or "Stopping")).ToList();

    /// <summary>
    /// Exactly <paramref name="replicas"/> active replicas, all Running and ready with a container, readyReplicas agrees,
    /// and each satisfies <paramref name="where"/> (e.g. "not on the killed node").
    /// </summary>
    public static Task<WorkloadDto> AllReadyAsync(CraneClient api, string name, int replicas, Func<ReplicaDto, bool>? where = null,
        TimeSpan? timeout = null, string? context = null) =>
        Wait.Until(
            () => api.GetExistingWorkloadAsync(name),
            w => w.ReadyReplicas == replicas && Active(w) is var active && active.Count == replicas &&
                 active.All(r => r is { State: "Running", Ready: true, ContainerId: not null } && (where is null || where(r))),
            timeout ?? Wait.Converge,
            $"workload {name} did not get {replicas} ready replicas{(context is null ? "" : $" ({context})")}",
            w => w.Describe());

    /// <summary>Exactly <paramref name="count"/> containers (running or not) of the workload carry the cluster's label; returns their ids.</summary>
    public static Task<IReadOnlyList<string>> ContainerCountAsync(CraneCluster cluster, string name, int count, TimeSpan? timeout = null) =>
        Wait.Until(
            () => DockerCli.WorkloadContainersAsync(cluster.TestId, name),
            ids => ids.Count == count,
            timeout ?? Wait.Converge,
            $"expected exactly {count} containers labelled crane.workload={name},{cluster.ContainerLabel}",
            ids => $"{ids.Count} containers: {string.Join(", ", ids.Select(i => i[..12]))}");

    /// <summary>Running containers of the workload as (container id, crane.replica, crane.node).</summary>
    public static async Task<IReadOnlyList<(string Id, string Replica, string Node)>> RunningAsync(CraneCluster cluster, string name)
    {
        var output = await DockerCli.RunAsync("ps", "--no-trunc", "--filter", $"label={cluster.ContainerLabel}", "--filter", $"label=crane.workload={name}",
            "--format", "{{.ID}} {{.Label \"crane.replica\"}} {{.Label \"crane.node\"}}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' '))
            .Select(f => (f[0], f.ElementAtOrDefault(1) ?? "", f.ElementAtOrDefault(2) ?? ""))
            .ToList();
    }

    public static string DescribeRunning(IEnumerable<(string Id, string Replica, string Node)> running) =>
        string.Join(", ", running.Select(c => $"{c.Replica}@{c.Node}({c.Id[..12]})"));
}
