namespace Crane.IntegrationTests;

/// <summary>The last lines a process printed (stdout and stderr), kept for failure messages; thread-safe.</summary>
internal sealed class OutputTail(int capacity = 400)
{
    private readonly LinkedList<string> _lines = new();

    public void Append(string line)
    {
        lock (_lines)
        {
            _lines.AddLast(line);
            if (_lines.Count > capacity)
                _lines.RemoveFirst();
        }
    }

    public string Last(int lines)
    {
        lock (_lines)
        {
            return string.Join('\n', _lines.Skip(Math.Max(0, _lines.Count - lines)));
        }
    }

    /// <summary>A file the process writes (a port file) as text, or "" while it does not exist or is being written.</summary>
    public static async Task<string> ReadOrEmptyAsync(string path)
    {
        try
        {
            return await File.ReadAllTextAsync(path);
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>The admin token a crane-seed generated into its data dir (written before its port file).</summary>
    public static async Task<string> AdminTokenAsync(string dataDir) => (await ReadOrEmptyAsync(Path.Combine(dataDir, "admin.token"))).Trim();
}
