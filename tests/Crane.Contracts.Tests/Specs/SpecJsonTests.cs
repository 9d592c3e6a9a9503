using Crane.Contracts.Specs;

namespace Crane.Contracts.Tests.Specs;

public sealed class SpecJsonTests
{
    private static WorkloadSpec Parse(string body) => SpecParser.Parse(body).Spec ?? throw new InvalidOperationException(body);

    [Fact]
    public void Serialize_then_deserialize_gives_an_equal_spec()
    {
        // Records holding lists and dictionaries compare by reference, so compare the JSON.
        var spec = Parse(SpecParserTests.Full);
        var json = SpecJson.Serialize(spec);

        var back = SpecJson.Deserialize(json);

        Assert.Equal(json, SpecJson.Serialize(back));
        Assert.Equal(spec.Resources, back.Resources);
        Assert.Equal(spec.Constraints[0].Values, back.Constraints[0].Values);
        Assert.Equal(spec.Env, back.Env);
    }

    [Fact]
    public void Serialized_json_is_accepted_by_the_parser()
    {
        var json = SpecJson.Serialize(Parse(SpecParserTests.Full));
        Assert.Equal(json, SpecJson.Serialize(Parse(json)));
    }

    [Fact]
    public void Replicas_only_change_keeps_the_template()
    {
        var spec = Parse(SpecParserTests.Full);
        Assert.False(spec.TemplateDiffers(spec with { Replicas = 7 }));
        Assert.False(spec.TemplateDiffers(spec with { Autoscaling = null }));
    }

    [Fact]
    public void Image_change_differs_in_template()
    {
        var spec = Parse(SpecParserTests.Full);
        Assert.True(spec.TemplateDiffers(spec with { Image = "ghcr.io/acme/web:1.3" }));
        Assert.True(spec.TemplateDiffers(spec with { Resources = spec.Resources with { Memory = 1 } }));
    }
}
