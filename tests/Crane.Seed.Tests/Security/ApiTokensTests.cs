using Crane.Seed.Security;

namespace Crane.Seed.Tests.Security;

public sealed class ApiTokensTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("crane-tokens-").FullName;

    [Fact]
    public void A_tokens_file_holds_only_hashes_and_each_token_maps_to_its_name_and_role()
    {
        var dir = TempDir();
        var file = Path.Combine(dir, "tokens");
        File.WriteAllLines(file, ["# name role sha256", $"ci deployer {ApiTokens.Hash("deploy-me")}", "", $"ann  VIEWER  {ApiTokens.Hash("look")}"]);

        var tokens = ApiTokens.Load(file, dir);

        Assert.Equal(new ApiPrincipal("ci", ApiRole.Deployer), tokens.Authenticate("deploy-me"));
        Assert.Equal(new ApiPrincipal("ann", ApiRole.Viewer), tokens.Authenticate("look"));
        Assert.Null(tokens.Authenticate("guess"));
        Assert.Null(tokens.Authenticate(ApiTokens.Hash("deploy-me")));
        // No admin token is generated beside a tokens file; the own Alertmanager's webhook token always is.
        Assert.False(File.Exists(Path.Combine(dir, ApiTokens.AdminTokenFile)));
        var webhook = File.ReadAllText(Path.Combine(dir, ApiTokens.AlertmanagerTokenFile)).Trim();
        Assert.Equal(new ApiPrincipal("alertmanager", ApiRole.Alertmanager), tokens.Authenticate(webhook));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Without_a_tokens_file_an_admin_token_is_generated_once_readable_by_its_owner_only()
    {
        var dir = TempDir();

        var first = ApiTokens.Load(null, dir);
        var token = File.ReadAllText(Path.Combine(dir, ApiTokens.AdminTokenFile)).Trim();
        var again = ApiTokens.Load(null, dir);

        Assert.Equal(48, token.Length);
        Assert.Equal(new ApiPrincipal("admin", ApiRole.Admin), first.Authenticate(token));
        Assert.Equal(new ApiPrincipal("admin", ApiRole.Admin), again.Authenticate(token));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, ApiTokens.AdminTokenFile)));
    }

    [Theory]
    [InlineData("ci deployer", "expected 'name role sha256-hex', got 2 fields")]
    [InlineData("ci root 0000000000000000000000000000000000000000000000000000000000000000", "unknown role 'root'")]
    [InlineData("ci admin plain-token", "is not a SHA-256 hex digest")]
    public void A_bad_line_names_its_number_and_what_is_wrong(string line, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => ApiTokens.Parse(["# comment", line]).ToList());

        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }
}
