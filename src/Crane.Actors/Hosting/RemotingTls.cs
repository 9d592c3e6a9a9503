using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Hosting;
using Akka.Remote.Transport.DotNetty;

namespace Crane.Actors.Hosting;

/// <summary>
/// Mutual TLS for Akka remoting (--akka-tls-cert, --akka-tls-password, --akka-tls-ca): every member presents its own
/// certificate on every connection, inbound and outbound, and refuses a peer whose certificate does not chain to the CA
/// (<see cref="PeerCertificates"/>). Off without --akka-tls-cert: plain TCP.
/// </summary>
public sealed class RemotingTls
{
    /// <summary>Akka's address scheme with TLS on; <c>akka.tcp</c> without.</summary>
    public const string Scheme = "akka.ssl.tcp";

    private RemotingTls(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        Certificate = certificate;
        Authorities = authorities;
    }

    /// <summary>This member's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CA certificates a peer's certificate must chain to (a PEM file may hold several, e.g. while a CA is replaced).</summary>
    public X509Certificate2Collection Authorities { get; }

    /// <summary>null without --akka-tls-cert; else the certificate and CA, or an ArgumentException that says which file is wrong.</summary>
    public static RemotingTls? Load(CraneOptions options, TimeProvider time)
    {
        if (options.AkkaTlsCert is not { } certPath)
            return null;
        if (options.AkkaTlsCa is not { } caPath)
            throw new ArgumentException("--akka-tls-cert needs --akka-tls-ca (the CA certificate that every member's certificate must chain to)");
        if (!File.Exists(certPath))
            throw new ArgumentException($"--akka-tls-cert: {certPath} does not exist");
        if (!File.Exists(caPath))
            throw new ArgumentException($"--akka-tls-ca: {caPath} does not exist");

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(certPath, options.AkkaTlsPassword);
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"--akka-tls-cert: cannot read {certPath} as PKCS#12 with the given --akka-tls-password: {ex.Message}");
        }

        if (!certificate.HasPrivateKey)
            throw new ArgumentException($"--akka-tls-cert: {certPath} holds no private key");
        var authorities = ReadAuthorities(caPath);
        if (PeerCertificates.Refusal(certificate, [], authorities, time.GetUtcNow()) is { } refusal)
            throw new ArgumentException($"--akka-tls-cert: peers would refuse this member's own certificate: {refusal}");
        return new RemotingTls(certificate, authorities);
    }

    /// <summary>Akka.Remote with TLS on this address: mutual authentication, the CA check, no host-name check.</summary>
    public RemoteOptions RemoteOptions(string hostname, int port, TimeProvider time) => new()
    {
        HostName = hostname,
        Port = port,
        EnableSsl = true,
        Ssl = new SslOptions
        {
            X509Certificate = Certificate,
            SuppressValidation = false,
            RequireMutualAuthentication = true,
            ValidateCertificateHostname = false,
            CustomValidator = (peer, chain, remote, _, log) =>
            {
                var presented = chain is null
                    ? []
                    : chain.ChainElements.Select(e => e.Certificate).Concat(chain.ChainPolicy.ExtraStore).ToList();
                var refusal = PeerCertificates.Refusal(peer, presented, Authorities, time.GetUtcNow());
                if (refusal is not null)
                    log.Warning("Akka TLS: refused the certificate of {0}: {1}", remote, refusal);
                return refusal is null;
            },
        },
    };

    private static X509Certificate2Collection ReadAuthorities(string path)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            if (File.ReadAllText(path).Contains("-----BEGIN", StringComparison.Ordinal))
                authorities.ImportFromPemFile(path);
            else
                authorities.Add(X509CertificateLoader.LoadCertificateFromFile(path));
        }
        catch (CryptographicException ex)
        {
            throw new ArgumentException($"--akka-tls-ca: cannot read {path} as a PEM or DER certificate: {ex.Message}");
        }

        return authorities.Count > 0 ? authorities : throw new ArgumentException($"--akka-tls-ca: {path} holds no certificate");
    }
}
