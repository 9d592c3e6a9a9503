using Crane.Contracts.Specs;
using Crane.Testing.Fuzzing;

namespace Crane.Contracts.Tests.Specs;

/// <summary>The input limits of SpecParser: aliases, expanded size, control characters, resource and count bounds.</summary>
public sealed class SpecLimitsTests
{
    // Lines 1 and 2 of most cases, so the line under test is line 3.
    private const string B = "name: a\nimage: b\n";

    private static SpecError Fails(string body)
    {
        var result = SpecParser.Parse(body);
        Assert.False(result.Ok, "expected an error, parsed " + (result.Spec is null ? "null" : SpecJson.Serialize(result.Spec)));
        return result.Error!;
    }

    private static WorkloadSpec Ok(string body)
    {
        var result = SpecParser.Parse(body);
        Assert.True(result.Ok, result.Error?.ToString());
        return result.Spec!;
    }

    /// <summary>name a, image b, then under args: a base at l0 and each next level a list of width aliases of the one before.</summary>
    private static string Bomb(int levels, int width, int baseItems)
    {
        var lines = new List<string> { "name: a", "image: b", "args:" };
        lines.Add(baseItems == 0 ? "  - &l0 lol" : "  - &l0 [" + string.Join(", ", Enumerable.Repeat("lol", baseItems)) + "]");
        for (var level = 1; level <= levels; level++)
            lines.Add($"  - &l{level} [" + string.Join(", ", Enumerable.Repeat($"*l{level - 1}", width)) + "]");
        return string.Join("\n", lines);
    }

    [Theory]
    // Classic billion laughs, 1 KB: 9 levels × 10 aliases over 'lol' (10^9 copies) in 90 alias uses. Sizes (nodes + characters):
    // the prefix is 22 (mapping 1, name 5, a 2, image 6, b 2, args 5, list 1); l0 = 1+3 = 4, l_k = 1 + 10·l_(k-1), so l5 = 411111;
    // 22+4+41+411+4111+41111+411111 = 456811, l6 opens at 456812, its 1st alias makes 867923, its 2nd 1279034 > 1048576:
    // line 10 (l6), column 15 ("  - &l6 [" is 9 characters, each "*l5, " 5).
    [InlineData(9, 10, 0, "YAML aliases expand the spec to more than 1 MiB (1048576 nodes and characters)", 10, 15, "args[6][1]")]
    // 600 KB of nested alias lists: 2 levels × 60000 aliases, 60000^2 = 3.6·10^9 copies of 'lol' (10^10 characters). The 101st
    // alias use stops it after reading 1 KB: line 5 (l1), column 10 + 5·100 = 510.
    [InlineData(2, 60_000, 0, "the spec uses more than 100 YAML aliases", 5, 510, "args[1][100]")]
    // 150 KB of list, then aliases of it: l0 = 1 + 30000·4 = 120001; 22 + 120001 + 1 (l1) = 120024, and after n aliases
    // 120024 + n·120001 > 1048576 first for n = 8 (1080032): the 8th alias of l1, column 10 + 5·7 = 45.
    [InlineData(5, 10, 30_000, "YAML aliases expand the spec to more than 1 MiB (1048576 nodes and characters)", 5, 45, "args[1][7]")]
    public void Alias_bombs_are_refused_at_the_alias_that_crosses_a_limit_without_expanding(int levels, int width, int baseItems, string message, int line, int column, string field)
    {
        var text = Bomb(levels, width, baseItems);
        var (result, allocated) = TextFuzz.Within(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var parsed = SpecParser.Parse(text);
            return (parsed, GC.GetAllocatedBytesForCurrentThread() - before);
        }, new FuzzInput(text, "bomb"));

        Assert.Equal(new SpecError(message, field, line, column), result.Error);
        // Reading the text takes a few MB at most; one copy of the expansion would be 10^9 nodes or more, tens of GB.
        Assert.True(allocated < 32L << 20, $"allocated {allocated} bytes");
    }

    [Theory]
    // The limit itself: 100 uses of *a are fine.
    [InlineData(100, null, 0, 0)]
    // The 101st use (args[100]) fails where it stands: "args: [" is 7 characters and each "*a, " 4, so column 8 + 4·100 = 408.
    [InlineData(101, "args[100]", 4, 408)]
    public void At_most_100_alias_uses(int aliases, string? field, int line, int column)
    {
        var body = B + "env: {A: &a x}\nargs: [" + string.Join(", ", Enumerable.Repeat("*a", aliases)) + "]";
        if (field is null)
        {
            Assert.Equal(aliases, Ok(body).Args!.Count);
            return;
        }
        Assert.Equal(new SpecError("the spec uses more than 100 YAML aliases", field, line, column), Fails(body));
    }

    [Fact]
    public void Raw_text_over_1_MiB_is_refused_at_the_first_character_past_it()
    {
        // 2^20 characters of comment lines of 1024 (1023 + LF): character 2^20 is the first of line 2^20 / 1024 + 1 = 1025.
        var body = string.Concat(Enumerable.Repeat("#" + new string('x', 1022) + "\n", 1025));
        Assert.Equal(new SpecError("the spec is larger than 1 MiB (1048576 characters)", null, 1025, 1), Fails(body));
    }

    [Theory]
    // YAML escape \0 in a quoted name: reported at the scalar, since the raw text has no NUL (was cut to 'a14' and stored).
    [InlineData("name: \"a14\\0\"\nimage: b", "name", 1, 7, "U+0000")]
    // JSON escape \u0000: the value starts after '{"name": ' (9 characters).
    [InlineData("{\"name\": \"a14\\u0000\", \"image\": \"b\"}", "name", 1, 10, "U+0000")]
    // A bell in an env value, YAML escape \a: at the scalar.
    [InlineData(B + "env: {A: \"x\\ay\"}", "env.A", 3, 10, "U+0007")]
    // A raw bell in an env value: at the character itself, after "env: {A: x" (10 characters).
    [InlineData(B + "env: {A: x\ay}", "env.A", 3, 11, "U+0007")]
    // A bell as a JSON escape in an env value: '{"name": "a", "image": "b", "env": {"A": ' is 41 characters.
    [InlineData("{\"name\": \"a\", \"image\": \"b\", \"env\": {\"A\": \"\\u0007\"}}", "env.A", 1, 42, "U+0007")]
    // DEL is refused too, here escaped in an args item.
    [InlineData(B + "args: [\"\\x7f\"]", "args[0]", 3, 8, "U+007F")]
    // ESC (terminal colour codes) in a command string.
    [InlineData(B + "command: \"echo \\e[31m\"", "command", 3, 10, "U+001B")]
    // In a key the field is the mapping that holds it, so the path never carries the character.
    [InlineData(B + "env: {\"A\\u0001\": x}", "env", 3, 7, "U+0001")]
    // Outside any scalar, in a comment: no field, the character's own position.
    [InlineData(B + "# note \u007f", null, 3, 8, "U+007F")]
    // A raw NUL ends YamlDotNet's stream, so it is not in any scalar: no field, the NUL's position after "name: a14".
    [InlineData("name: a14\0\nimage: b", null, 1, 10, "U+0000")]
    public void Control_characters_are_refused_with_their_position(string body, string? field, int line, int column, string codePoint)
    {
        var error = Fails(body);
        Assert.Equal((field, line, column), (error.Field, error.Line, error.Column));
        Assert.Equal($"{field ?? "the spec"} contains the control character {codePoint}; only tab, line feed and carriage return are allowed", error.Message);
    }

    [Theory]
    // Found by Mutated_yaml_parses_or_fails_clearly: a control character in an unknown alias name was echoed in "unknown anchor '…'";
    // now it is the error, at its own column after "labels: *e" (10 characters).
    [InlineData(B + "labels: *e\u000eresources: {}", "labels", 3, 11, "U+000E")]
    // Found by Random_text_parses_or_fails_clearly: the same after an earlier control character (a NUL) outside any scalar,
    // which now is the error in document order: no field, column 1.
    [InlineData("\0*a\u0005?", null, 1, 1, "U+0000")]
    public void Control_characters_found_by_fuzzing_are_never_echoed(string body, string? field, int line, int column, string codePoint)
    {
        var error = Fails(body);
        Assert.Equal((field, line, column), (error.Field, error.Line, error.Column));
        Assert.Contains(codePoint, error.Message);
        Assert.DoesNotContain(error.Message, SpecInvariants.IsControl);
    }

    [Theory]
    // A literal block keeps its newlines and tabs.
    [InlineData(B + "command: |\n  echo a\n  echo\tb\n", "echo a\necho\tb\n")]
    // JSON escapes for LF, tab and CR stay valid.
    [InlineData("{\"name\": \"a\", \"image\": \"b\", \"command\": \"echo a\\n\\techo b\\r\\n\"}", "echo a\n\techo b\r\n")]
    // CRLF line ends in a double-quoted YAML scalar fold to a space.
    [InlineData("name: a\r\nimage: b\r\ncommand: \"echo\r\n  b\"\r\n", "echo b")]
    public void Tab_LF_and_CR_stay_valid(string body, string script) =>
        Assert.Equal(["sh", "-c", script], Ok(body).Command);

    [Theory]
    // 1e-300 cores is > 0 but rounds to NanoCPUs = 0, which Docker reads as unlimited.
    [InlineData("cpu: 1e-300", "resources.cpu", 18, "resources.cpu must be at least 1m (0.001 cores), got '1e-300'")]
    // 0.0009 cores = 0.9m, under 1m.
    [InlineData("cpu: 0.0009", "resources.cpu", 18, "resources.cpu must be at least 1m (0.001 cores), got '0.0009'")]
    [InlineData("cpu: 0.9m", "resources.cpu", 18, "resources.cpu must be at least 1m (0.001 cores), got '0.9m'")]
    // 10^300 cores · 10^9 overflows the NanoCPUs long.
    [InlineData("cpu: 1e300", "resources.cpu", 18, "resources.cpu must be at most 1000000 cores, got '1e300'")]
    // NaN, infinity and 1e999 (infinite as a double) are not quantities.
    [InlineData("cpu: .nan", "resources.cpu", 18, "resources.cpu '.nan' is not a cpu quantity: use cores (0.5, 2) or millicores (500m)")]
    [InlineData("cpu: .inf", "resources.cpu", 18, "resources.cpu '.inf' is not a cpu quantity: use cores (0.5, 2) or millicores (500m)")]
    [InlineData("cpu: 1e999", "resources.cpu", 18, "resources.cpu '1e999' is not a cpu quantity: use cores (0.5, 2) or millicores (500m)")]
    // 3Mi = 3145728 < 4Mi = 4194304 bytes.
    [InlineData("memory: 3Mi", "resources.memory", 21, "resources.memory must be at least 4Mi (4194304 bytes), got '3Mi'")]
    // One byte short of 4Mi.
    [InlineData("memory: 4194303", "resources.memory", 21, "resources.memory must be at least 4Mi (4194304 bytes), got '4194303'")]
    // 4M is 4000000 bytes (1000-based), under 4Mi.
    [InlineData("memory: 4M", "resources.memory", 21, "resources.memory must be at least 4Mi (4194304 bytes), got '4M'")]
    // 8388608Ti = 2^23 · 2^40 = 2^63 bytes, one more than a long holds.
    [InlineData("memory: 8388608Ti", "resources.memory", 21, "resources.memory '8388608Ti' is not a memory quantity: use bytes or a suffix Ki, Mi, Gi, Ti (1024-based) or K, M, G, T (1000-based), e.g. 256Mi; at most 8388607Ti")]
    [InlineData("memory: 1e999", "resources.memory", 21, "resources.memory '1e999' is not a memory quantity: use bytes or a suffix Ki, Mi, Gi, Ti (1024-based) or K, M, G, T (1000-based), e.g. 256Mi; at most 8388607Ti")]
    [InlineData("memory: .nan", "resources.memory", 21, "resources.memory '.nan' is not a memory quantity: use bytes or a suffix Ki, Mi, Gi, Ti (1024-based) or K, M, G, T (1000-based), e.g. 256Mi; at most 8388607Ti")]
    public void Resources_below_the_minimum_or_not_finite_are_refused(string resource, string field, int column, string message) =>
        Assert.Equal(new SpecError(message, field, 3, column), Fails(B + "resources: {" + resource + "}"));

    [Theory]
    // replicas: 1000 per workload.
    [InlineData("replicas: 1001", "replicas", 3, 11, "replicas must be between 0 and 1000, got 1001")]
    // Autoscaling bounds share the replicas limit.
    [InlineData("autoscaling: {max: 1001, target: 50}", "autoscaling.max", 3, 20, "autoscaling.max must be between 1 and 1000, got 1001")]
    [InlineData("autoscaling: {min: 1001, max: 1000, target: 50}", "autoscaling.min", 3, 20, "autoscaling.min must be between 1 and 1000, got 1001")]
    // Integers past a long are the same error, not an overflow.
    [InlineData("replicas: 99999999999999999999999", "replicas", 3, 11, "replicas must be between 0 and 1000, got 99999999999999999999999")]
    // A day is 86400 s; 10^300 s would overflow TimeSpan in the probe timer.
    [InlineData("health: {liveness: {type: tcp, periodSeconds: 86401}}", "health.liveness.periodSeconds", 3, 47, "health.liveness.periodSeconds must be at most 86400 (one day), got 86401")]
    [InlineData("health: {liveness: {type: tcp, initialDelaySeconds: 1e300}}", "health.liveness.initialDelaySeconds", 3, 53, "health.liveness.initialDelaySeconds must be at most 86400 (one day), got 1e300")]
    [InlineData("autoscaling: {max: 2, target: 5, behavior: {scaleDown: {stabilizationWindowSeconds: 1e300}}}", "autoscaling.behavior.scaleDown.stabilizationWindowSeconds", 3, 85, "autoscaling.behavior.scaleDown.stabilizationWindowSeconds must be at most 86400 (one day), got 1e300")]
    // Numbers must be finite.
    [InlineData("autoscaling: {max: 2, target: .nan}", "autoscaling.target", 3, 31, "autoscaling.target must be a number, got '.nan'")]
    public void Counts_and_durations_above_the_maximum_are_refused(string yaml, string field, int line, int column, string message) =>
        Assert.Equal(new SpecError(message, field, line, column), Fails(B + yaml));

    [Theory]
    // The boundaries themselves are valid: 1m = 0.001 cores, 4Mi = 4194304 bytes, 1000 replicas, a day of seconds.
    [InlineData("resources: {cpu: 0.001}", 0.001, 64L << 20, 1)]
    [InlineData("resources: {cpu: 1m, memory: 4Mi}", 0.001, 4L << 20, 1)]
    [InlineData("resources: {memory: 4194304}", 0.1, 4L << 20, 1)]
    [InlineData("resources: {cpu: 1000000}", 1e6, 64L << 20, 1)]
    [InlineData("replicas: 1000\nautoscaling: {min: 1000, max: 1000, target: 50}", 0.1, 64L << 20, 1000)]
    [InlineData("health: {liveness: {type: tcp, periodSeconds: 86400}}", 0.1, 64L << 20, 1)]
    public void The_limits_themselves_are_accepted(string yaml, double cpu, long memory, int replicas)
    {
        var spec = Ok(B + yaml);
        Assert.Equal((cpu, memory, replicas), (spec.Resources.Cpu, spec.Resources.Memory, spec.Replicas));
    }
}
