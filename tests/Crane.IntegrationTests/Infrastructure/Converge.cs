namespace Crane.IntegrationTests;

/// <summary>Waits on what a workload looks like through the API and in Docker.</summary>
internal static class Converge
{
    /// <summary>Exactly <paramref name="replicas"/> replicas, all Running and ready (of <paramref name="generation"/> when given), and readyReplicas agrees.</summary>
    public static Task<WorkloadDto> AllReadyAsync(CraneProcess crane, string name, int replicas, long? generation = null, TimeSpan? timeout = null) =>
        Wait.Until(
            () => crane.Api.GetExistingWorkloadAsync(name),
            w => w.Replicas.Count == replicas && w.ReadyReplicas == replicas &&
                 w.Replicas.All(r => r is { State: "Running", Ready: true, ContainerId: not null, HostPort: not null }) &&
                 (generation is null || (w.Generation == generation && w.Replicas.All(r => r.Generation == generation))),
            timeout ?? Wait.Converge,
            $"workload {name} did not get {replicas} ready replicas{(generation is null ? "" : $" of generation {generation}")} ({crane.Describe()})",
            w => w.Describe());

    /// <summary>Exactly <paramref name="count"/> containers (running or not) of the workload exist; returns their ids.</summary>
    public static Task<IReadOnlyList<string>> ContainerCountAsync(CraneProcess crane, string name, int count, TimeSpan? timeout = null) =>
        Wait.Until(
            () => DockerCli.WorkloadContainersAsync(crane.TestId, name),
            ids => ids.Count == count,
            timeout ?? Wait.Converge,
            $"expected exactly {count} containers labelled crane.workload={name},{crane.ContainerLabel}",
            ids => $"{ids.Count} containers: {string.Join(", ", ids.Select(i => i[..12]))}");

    /// <summary>Deletes the workload if it exists; tests call it at the end so the shared seed stays small.</summary>
    public static async Task DeleteQuietlyAsync(CraneProcess crane, string name)
    {
        try
        {
            if (crane.IsRunning)
                await crane.Api.DeleteAsync(name);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
        }
    }
}
