using Crane.Contracts.Messages;

namespace Crane.Actors.Policy;

/// <summary>Reads --policies-dir: every *.rego file is a policy named after the file; a line "# enforcement: warn" (or dryrun) sets its enforcement.</summary>
public static class PolicyFiles
{
    public static IReadOnlyList<PutPolicy> Read(string? dir)
    {
        if (dir is null)
            return [];
        if (!Directory.Exists(dir))
            throw new ArgumentException($"--policies-dir: {dir} is not a directory");
        return Directory.EnumerateFiles(dir, "*.rego")
            .Order(StringComparer.Ordinal)
            .Select(path =>
            {
                var source = File.ReadAllText(path);
                return new PutPolicy(Path.GetFileNameWithoutExtension(path), source, EnforcementOf(source));
            })
            .ToList();
    }

    public static Enforcement EnforcementOf(string source)
    {
        foreach (var line in source.Split('\n'))
        {
            var text = line.Trim();
            if (!text.StartsWith('#'))
                continue;
            var comment = text.TrimStart('#').Trim();
            if (comment.StartsWith("enforcement:", StringComparison.OrdinalIgnoreCase) &&
                Enum.TryParse<Enforcement>(comment["enforcement:".Length..].Trim(), ignoreCase: true, out var mode))
                return mode;
        }

        return Enforcement.Deny;
    }
}
