namespace Crane.IntegrationTests;

/// <summary>Where the repository and the crane-seed binary are: from test.sh's environment, else found from the test assembly.</summary>
internal static class RepoPaths
{
    public static string Root
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("CRANE_REPO_ROOT");
            if (!string.IsNullOrWhiteSpace(fromEnv))
                return Path.GetFullPath(fromEnv);
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Crane.sln")))
                    return dir.FullName;
            }

            throw new InvalidOperationException($"Crane.sln not found above {AppContext.BaseDirectory}; set CRANE_REPO_ROOT");
        }
    }

    public static string SeedBinary
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("CRANE_SEED_BIN");
            if (!string.IsNullOrWhiteSpace(fromEnv))
            {
                return File.Exists(fromEnv)
                    ? Path.GetFullPath(fromEnv)
                    : throw new InvalidOperationException($"CRANE_SEED_BIN={fromEnv} does not exist; build it with `dotnet build src/Crane.Seed -c Release`");
            }

            var candidates = new[] { "Release", "Debug" }
                .Select(c => Path.Combine(Root, "src", "Crane.Seed", "bin", c, "net10.0", "crane-seed"))
                .ToList();
            return candidates.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException(
                $"crane-seed not built (looked at {string.Join(", ", candidates)}); run `dotnet build src/Crane.Seed -c Release` first");
        }
    }

    /// <summary>The built `crane` CLI (CRANE_CLI_BIN, else src/Crane.Cli/bin/{Release,Debug}).</summary>
    public static string CliBinary =>
        Environment.GetEnvironmentVariable("CRANE_CLI_BIN") is { Length: > 0 } fromEnv
            ? fromEnv
            : new[] { "Release", "Debug" }
                .Select(c => Path.Combine(Root, "src", "Crane.Cli", "bin", c, "net10.0", "crane"))
                .FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("crane CLI not built; run `dotnet build src/Crane.Cli -c Release`");
}
