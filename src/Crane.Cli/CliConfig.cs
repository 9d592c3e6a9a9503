namespace Crane.Cli;

/// <summary>
/// ~/.crane/config: "server: URL" and "token: TOKEN" lines (# comments), the defaults when neither a flag nor
/// CRANE_SERVER / CRANE_TOKEN says otherwise.
/// </summary>
public sealed record CliConfig(string? Server, string? Token)
{
    public static string DefaultPath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".crane", "config");

    /// <summary>The file's settings; an absent or unreadable file gives none.</summary>
    public static CliConfig Load(string? path = null)
    {
        try
        {
            return Parse(File.ReadAllLines(path ?? DefaultPath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new CliConfig(null, null);
        }
    }

    public static CliConfig Parse(IEnumerable<string> lines)
    {
        string? server = null, token = null;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            var colon = line.IndexOf(':');
            if (line.StartsWith('#') || colon <= 0)
                continue;
            var value = line[(colon + 1)..].Trim().Trim('"', '\'');
            switch (line[..colon].Trim())
            {
                case "server":
                    server = value;
                    break;
                case "token":
                    token = value;
                    break;
            }
        }

        return new CliConfig(server, token);
    }
}
