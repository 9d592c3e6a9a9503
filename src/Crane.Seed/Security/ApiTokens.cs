using System.Security.Cryptography;
using System.Text;

namespace Crane.Seed.Security;

/// <summary>Who a bearer token belongs to: the name goes into policy input as the user, the role decides what it may do.</summary>
public sealed record ApiPrincipal(string Name, ApiRole Role);

/// <summary>
/// The bearer tokens this seed accepts, kept only as SHA-256 hashes. From --tokens-file (lines "name role sha256-hex",
/// # comments), or else one admin token generated on first start into &lt;data-dir&gt;/admin.token (mode 0600). The
/// webhook token of Crane's own Alertmanager (&lt;data-dir&gt;/alertmanager.token) is accepted in either case.
/// </summary>
public sealed class ApiTokens
{
    public const string AdminTokenFile = "admin.token";
    public const string AlertmanagerTokenFile = "alertmanager.token";

    private readonly Dictionary<string, ApiPrincipal> _byHash;

    private ApiTokens(Dictionary<string, ApiPrincipal> byHash) => _byHash = byHash;

    /// <summary>The principal of <paramref name="token"/>, or null for an unknown one.</summary>
    public ApiPrincipal? Authenticate(string token) => _byHash.GetValueOrDefault(Hash(token));

    /// <summary>Hex SHA-256 of a token, as a tokens file holds it (also: printf %s TOKEN | sha256sum).</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Loads the tokens for a seed; throws ArgumentException with a user-facing message for a bad tokens file.</summary>
    public static ApiTokens Load(string? tokensFile, string dataDir)
    {
        var byHash = new Dictionary<string, ApiPrincipal>(StringComparer.Ordinal);
        if (tokensFile is null)
            byHash[Hash(ReadOrCreate(Path.Combine(dataDir, AdminTokenFile)))] = new ApiPrincipal("admin", ApiRole.Admin);
        else
            foreach (var (hash, principal) in Parse(File.Exists(tokensFile) ? File.ReadAllLines(tokensFile) : throw new ArgumentException($"--tokens-file {tokensFile} does not exist")))
                byHash[hash] = principal;
        byHash[Hash(ReadOrCreate(Path.Combine(dataDir, AlertmanagerTokenFile)))] = new ApiPrincipal("alertmanager", ApiRole.Alertmanager);
        return new ApiTokens(byHash);
    }

    /// <summary>Lines "name role sha256-hex"; blank lines and # comments are skipped.</summary>
    public static IEnumerable<(string Hash, ApiPrincipal Principal)> Parse(IEnumerable<string> lines)
    {
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 3)
                throw new ArgumentException($"tokens file line {number}: expected 'name role sha256-hex', got {fields.Length} fields");
            if (!Enum.TryParse<ApiRole>(fields[1], ignoreCase: true, out var role) || !Enum.IsDefined(role))
                throw new ArgumentException($"tokens file line {number}: unknown role '{fields[1]}' (admin, deployer, viewer, alertmanager)");
            if (fields[2].Length != 64 || !fields[2].All(Uri.IsHexDigit))
                throw new ArgumentException($"tokens file line {number}: '{fields[2]}' is not a SHA-256 hex digest (printf %s TOKEN | sha256sum)");
            yield return (fields[2].ToLowerInvariant(), new ApiPrincipal(fields[0], role));
        }
    }

    /// <summary>A token file's content, or a new random token written there readable by its owner only.</summary>
    public static string ReadOrCreate(string path)
    {
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } existing)
            return existing;
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(path, create))
            writer.WriteLine(token);
        return token;
    }
}
