using Crane.Contracts.Specs;

namespace Crane.Contracts.Tests.Specs;

public sealed class QuantityTests
{
    [Theory]
    [InlineData("300m", 0.3)]
    [InlineData("0.3", 0.3)]
    [InlineData("1", 1.0)]
    [InlineData("1.5", 1.5)]
    [InlineData("1500m", 1.5)]
    [InlineData(".5", 0.5)]
    [InlineData("2.", 2.0)]
    [InlineData("1e-1", 0.1)]
    [InlineData("0", 0.0)]
    [InlineData("1m", 0.001)]
    public void Cpu_parses(string text, double cores)
    {
        Assert.True(Quantity.TryParseCpu(text, out var parsed));
        Assert.Equal(cores, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("1 ")]
    [InlineData(" 1")]
    [InlineData("300M")]
    [InlineData("1Mi")]
    [InlineData("1k")]
    [InlineData("m")]
    [InlineData(".")]
    [InlineData("1,5")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e999")]
    [InlineData("0x10")]
    public void Cpu_rejects(string text) => Assert.False(Quantity.TryParseCpu(text, out _));

    [Theory]
    [InlineData("1048576", 1048576L)]
    [InlineData("256Mi", 268435456L)]          // 256 × 2^20
    [InlineData("1Ki", 1024L)]
    [InlineData("2Gi", 2147483648L)]          // 2 × 2^30
    [InlineData("1Ti", 1099511627776L)]       // 2^40
    [InlineData("1G", 1000000000L)]
    [InlineData("1k", 1000L)]                 // Kubernetes spelling
    [InlineData("1K", 1000L)]                 // Crane design spelling
    [InlineData("64M", 64000000L)]
    [InlineData("2T", 2000000000000L)]
    [InlineData("1.5Gi", 1610612736L)]        // 1.5 × 2^30
    [InlineData("0.1Gi", 107374183L)]         // 107374182.4 rounds up
    [InlineData("1e9", 1000000000L)]
    [InlineData("129E6", 129000000L)]
    [InlineData("0", 0L)]
    [InlineData("8388607Ti", 9223370937343148032L)] // (2^23 - 1) × 2^40 = 2^63 - 2^40
    public void Memory_parses(string text, long bytes)
    {
        Assert.True(Quantity.TryParseMemory(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("256MB")]
    [InlineData("12Xi")]
    [InlineData("1m")]
    [InlineData("1Pi")]
    [InlineData("1E")]
    [InlineData("1ki")]
    [InlineData("1e3Mi")]
    [InlineData("-1")]
    [InlineData("1 Gi")]
    [InlineData("Gi")]
    [InlineData("9223372036854775808")]      // long.MaxValue + 1
    [InlineData("8388608Ti")]                // 2^23 × 2^40 = 2^63 overflows
    [InlineData("1e30")]
    public void Memory_rejects(string text) => Assert.False(Quantity.TryParseMemory(text, out _));

    [Theory]
    [InlineData(0.3, "300m")]
    [InlineData(1.0, "1")]
    [InlineData(1.5, "1500m")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(16.0, "16")]
    public void Cpu_formats_and_round_trips(double cores, string text)
    {
        Assert.Equal(text, Quantity.FormatCpu(cores));
        Assert.True(Quantity.TryParseCpu(text, out var back));
        Assert.Equal(cores, back);
    }

    [Theory]
    [InlineData(268435456L, "256Mi")]
    [InlineData(1000000000L, "1G")]
    [InlineData(1024000L, "1000Ki")]          // divisible by both: binary wins
    [InlineData(1536L, "1536")]
    [InlineData(1000L, "1K")]
    [InlineData(1099511627776L, "1Ti")]
    [InlineData(0L, "0")]
    [InlineData(7L, "7")]
    public void Memory_formats_and_round_trips(long bytes, string text)
    {
        Assert.Equal(text, Quantity.FormatMemory(bytes));
        Assert.True(Quantity.TryParseMemory(text, out var back));
        Assert.Equal(bytes, back);
    }
}
