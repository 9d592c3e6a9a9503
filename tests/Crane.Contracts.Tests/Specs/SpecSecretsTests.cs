using Crane.Contracts.Specs;

namespace Crane.Contracts.Tests.Specs;

public sealed class SpecSecretsTests
{
    private static WorkloadSpec Parse(string yaml) => SpecParser.Parse(yaml).Spec ?? throw new InvalidOperationException(SpecParser.Parse(yaml).Error!.Message);

    [Theory]
    // The name says it: PASSWORD, TOKEN, SECRET or KEY anywhere, in any case.
    [InlineData("DB_PASSWORD", true)]
    [InlineData("github_token", true)]
    [InlineData("ClientSecret", true)]
    [InlineData("API_KEY", true)]
    [InlineData("KEYCLOAK_URL", true)]
    // Listed under secretEnv.
    [InlineData("LICENSE", true)]
    // Plain configuration.
    [InlineData("API_URL", false)]
    [InlineData("VERSION", false)]
    public void A_value_is_secret_by_its_name_or_by_secretEnv(string name, bool secret)
    {
        var spec = Parse("name: s\nimage: i\nsecretEnv: [LICENSE]\n");

        Assert.Equal(secret, SpecSecrets.IsSecret(name, spec));
    }

    [Fact]
    public void Redact_replaces_only_the_secret_values_and_keeps_the_rest_of_the_spec()
    {
        var spec = Parse("name: s\nimage: i\nreplicas: 2\nenv: {DB_PASSWORD: hunter2, LICENSE: abc-123, API_URL: http://api}\nsecretEnv: [LICENSE]\n");

        var shown = SpecSecrets.Redact(spec);

        Assert.Equal(SpecSecrets.Redacted, shown.Env["DB_PASSWORD"]);
        Assert.Equal(SpecSecrets.Redacted, shown.Env["LICENSE"]);
        Assert.Equal("http://api", shown.Env["API_URL"]);
        Assert.Equal(2, shown.Replicas);
        Assert.Equal("hunter2", spec.Env["DB_PASSWORD"]);
    }

    [Fact]
    public void SecretEnv_must_be_a_list_of_strings()
    {
        var error = SpecParser.Parse("name: s\nimage: i\nsecretEnv: LICENSE\n").Error;

        Assert.NotNull(error);
        Assert.Equal("secretEnv", error.Field);
    }
}
