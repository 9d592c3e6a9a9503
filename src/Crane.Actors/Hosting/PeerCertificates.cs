using System.Security.Cryptography.X509Certificates;

namespace Crane.Actors.Hosting;

/// <summary>
/// Whether a peer's TLS certificate may speak Akka remoting with this member: it must chain to one of the configured
/// CA certificates (and only to those: the system's trust store plays no part) and be valid at <c>now</c>. The name in
/// it is not checked (any certificate from the CA may be any member), nor is revocation (the CA publishes no list).
/// </summary>
public static class PeerCertificates
{
    /// <summary>null when accepted; else why not, for the log.</summary>
    public static string? Refusal(X509Certificate2? peer, IEnumerable<X509Certificate2> presented, X509Certificate2Collection authorities, DateTimeOffset now)
    {
        if (peer is null)
            return "no certificate was presented";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        foreach (var certificate in presented.Where(c => c.Thumbprint != peer.Thumbprint))
            chain.ChainPolicy.ExtraStore.Add(certificate);

        if (chain.Build(peer))
            return null;
        var problems = chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation.Trim()}").Distinct();
        return $"'{peer.Subject}' (issuer '{peer.Issuer}', valid {peer.NotBefore:u} to {peer.NotAfter:u}) does not chain to the configured CA " +
               $"at {now.UtcDateTime:u}: {string.Join("; ", problems)}";
    }
}
