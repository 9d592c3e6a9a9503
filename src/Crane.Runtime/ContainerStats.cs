namespace Crane.Runtime;

/// <summary>One resource sample of a running container, as cAdvisor reports it. <paramref name="CpuSeconds"/> is
/// the CPU time (user + system) used since the container started, a counter: the usage in cores is its change
/// between two samples divided by the change of <paramref name="At"/>. <paramref name="MemoryWorkingSetBytes"/> is
/// the memory that cannot be reclaimed easily: Docker's usage minus inactive file pages (what <c>docker stats</c>
/// shows), or the resident set of a local process. <paramref name="At"/> is when the sample was taken.</summary>
public sealed record ContainerStats(double CpuSeconds, long MemoryWorkingSetBytes, DateTimeOffset At);
