namespace Crane.Scheduling;

/// <summary>An amount of compute: <see cref="Cpu"/> in cores, <see cref="Memory"/> in bytes.</summary>
public readonly record struct Resources(double Cpu, long Memory)
{
    public static Resources Zero => default;

    public static Resources operator +(Resources left, Resources right) =>
        new(left.Cpu + right.Cpu, left.Memory + right.Memory);

    public static Resources operator -(Resources left, Resources right) =>
        new(left.Cpu - right.Cpu, left.Memory - right.Memory);
}
