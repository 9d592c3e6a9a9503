using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Crane.Actors.Tests.Hosting;

/// <summary>CAs and member certificates made in memory (the same shape as scripts/akka-certs makes with openssl).</summary>
internal static class TestCertificates
{
    public static readonly DateTimeOffset Now = new(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static X509Certificate2 Authority(string name, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(Now.AddYears(-5), notAfter ?? Now.AddYears(5));
    }

    /// <summary>A member certificate with its private key, signed by <paramref name="issuer"/>.</summary>
    public static X509Certificate2 Member(string name, X509Certificate2 issuer, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        using var signed = request.Create(issuer, notBefore ?? Now.AddDays(-1), notAfter ?? Now.AddYears(2), serial);
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>A self-signed certificate that claims to be a member (no CA behind it).</summary>
    public static X509Certificate2 SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256).CreateSelfSigned(Now.AddDays(-1), Now.AddYears(1));
    }
}
