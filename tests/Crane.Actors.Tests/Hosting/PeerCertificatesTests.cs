using System.Security.Cryptography.X509Certificates;
using Crane.Actors.Hosting;
using static Crane.Actors.Tests.Hosting.TestCertificates;

namespace Crane.Actors.Tests.Hosting;

public sealed class PeerCertificatesTests
{
    private static readonly X509Certificate2 Ca = Authority("crane-akka-ca-test");
    private static readonly X509Certificate2 OtherCa = Authority("crane-akka-ca-other");
    // Same name as Ca, another key: only the signature tells them apart.
    private static readonly X509Certificate2 SameNameCa = Authority("crane-akka-ca-test");

    public static TheoryData<string, bool, string> Cases() => new()
    {
        { "member of the CA", true, "" },
        { "member of another CA", false, "PartialChain" },
        { "member of a CA with the same name", false, "" },
        { "self-signed", false, "" },
        { "the CA itself", true, "" },
        { "expired", false, "NotTimeValid" },
        { "not yet valid", false, "NotTimeValid" },
        { "no certificate", false, "no certificate was presented" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_peer_is_accepted_only_with_a_certificate_of_the_CA_that_is_valid_now(string peer, bool accepted, string reason)
    {
        var certificate = peer switch
        {
            "member of the CA" => Member("node-1", Ca),
            "member of another CA" => Member("intruder", OtherCa),
            "member of a CA with the same name" => Member("intruder", SameNameCa),
            "self-signed" => SelfSigned("node-1"),
            // Whoever holds the CA's key can sign any member anyway: presenting the CA itself adds nothing.
            "the CA itself" => Ca,
            "expired" => Member("node-1", Ca, Now.AddYears(-2), Now.AddDays(-1)),
            "not yet valid" => Member("node-1", Ca, Now.AddDays(1), Now.AddYears(1)),
            _ => null,
        };

        var refusal = PeerCertificates.Refusal(certificate, [], [Ca], Now);

        Assert.Equal(accepted, refusal is null);
        if (!accepted)
            Assert.Contains(reason, refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void The_system_trust_store_plays_no_part()
    {
        // Presenting the other CA in the chain does not make its member acceptable: only the configured CA is a root.
        var refusal = PeerCertificates.Refusal(Member("intruder", OtherCa), [OtherCa], [Ca], Now);

        Assert.NotNull(refusal);
        Assert.Contains("CN=intruder", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bundle_of_two_CAs_accepts_members_of_either()
    {
        X509Certificate2Collection both = [Ca, OtherCa];

        Assert.Null(PeerCertificates.Refusal(Member("old", Ca), [], both, Now));
        Assert.Null(PeerCertificates.Refusal(Member("new", OtherCa), [], both, Now));
    }
}
