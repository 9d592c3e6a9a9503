using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Crane.Actors.Hosting;
using static Crane.Actors.Tests.Hosting.TestCertificates;

namespace Crane.Actors.Tests.Hosting;

public sealed class RemotingTlsTests : IDisposable
{
    private static readonly Dictionary<string, string?> NoEnv = new();
    private static readonly TimeProvider Clock = new FixedClock(Now);
    private readonly string _dir = Directory.CreateTempSubdirectory("crane-tls-").FullName;
    private readonly X509Certificate2 _ca = Authority("crane-akka-ca-load");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Without_a_certificate_remoting_stays_plain_tcp()
    {
        var options = CraneOptions.Parse(["--seed-nodes", "127.0.0.1:4053"], 0, NoEnv);

        Assert.Null(RemotingTls.Load(options, Clock));
        Assert.Equal("akka.tcp", options.AkkaScheme);
        Assert.Equal(["akka.tcp://crane@127.0.0.1:4053"], options.SeedAddresses());
    }

    [Fact]
    public void A_certificate_of_the_CA_turns_on_mutual_TLS_that_checks_peers_against_the_CA()
    {
        var options = Options(Pfx("seed", Member("seed", _ca), "s3cret"), Pem(_ca), password: "s3cret");

        var tls = RemotingTls.Load(options, Clock)!;
        var remote = tls.RemoteOptions("127.0.0.1", 4053, Clock);

        Assert.Equal("CN=seed", tls.Certificate.Subject);
        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.True(remote.EnableSsl);
        Assert.Equal((false, true, false), (remote.Ssl.SuppressValidation, remote.Ssl.RequireMutualAuthentication, remote.Ssl.ValidateCertificateHostname));
        var validate = remote.Ssl.CustomValidator!;
        Assert.True(validate(Member("node-1", _ca), null, "peer", SslPolicyErrors.RemoteCertificateChainErrors, NoLogger.Instance));
        Assert.False(validate(Member("intruder", Authority("crane-akka-ca-other")), null, "peer", SslPolicyErrors.None, NoLogger.Instance));
        Assert.False(validate(null, null, "peer", SslPolicyErrors.RemoteCertificateNotAvailable, NoLogger.Instance));
    }

    [Fact]
    public void The_password_comes_from_the_environment_and_seed_addresses_use_the_TLS_scheme()
    {
        var pfx = Pfx("node-1", Member("node-1", _ca), "from-env");
        var env = new Dictionary<string, string?> { ["CRANE_AKKA_TLS_PASSWORD"] = "from-env" };

        var options = CraneOptions.Parse(["--akka-tls-cert", pfx, "--akka-tls-ca", Der(_ca), "--seed-nodes", "127.0.0.1:4053"], 0, env);

        Assert.NotNull(RemotingTls.Load(options, Clock));
        Assert.Equal(["akka.ssl.tcp://crane@127.0.0.1:4053"], options.SeedAddresses());
    }

    [Fact]
    public void A_CA_file_may_hold_several_CAs()
    {
        var next = Authority("crane-akka-ca-next");
        var bundle = Path.Combine(_dir, "bundle.crt");
        File.WriteAllText(bundle, _ca.ExportCertificatePem() + "\n" + next.ExportCertificatePem() + "\n");

        var tls = RemotingTls.Load(Options(Pfx("node-2", Member("node-2", next), "pw"), bundle, "pw"), Clock)!;

        Assert.Equal(2, tls.Authorities.Count);
    }

    [Fact]
    public void Bad_files_and_passwords_stop_the_start_with_a_message_that_names_the_flag()
    {
        var good = Pfx("seed", Member("seed", _ca), "right");
        var ca = Pem(_ca);

        Assert.StartsWith("--akka-tls-cert needs --akka-tls-ca", Refusal(Options(good, null, "right")));
        Assert.StartsWith("--akka-tls-cert: cannot read", Refusal(Options(good, ca, "wrong")));
        Assert.StartsWith("--akka-tls-cert: /nope.pfx does not exist", Refusal(Options("/nope.pfx", ca, "right")));
        Assert.StartsWith("--akka-tls-ca: /nope.crt does not exist", Refusal(Options(good, "/nope.crt", "right")));

        var keyless = Path.Combine(_dir, "keyless.pfx");
        File.WriteAllBytes(keyless, X509CertificateLoader.LoadCertificate(Member("seed", _ca).RawData).Export(X509ContentType.Pkcs12, "right"));
        Assert.StartsWith("--akka-tls-cert: " + keyless + " holds no private key", Refusal(Options(keyless, ca, "right")));

        var notACertificate = Path.Combine(_dir, "ca.txt");
        File.WriteAllText(notACertificate, "hello");
        Assert.StartsWith("--akka-tls-ca: cannot read", Refusal(Options(good, notACertificate, "right")));

        var stranger = Pfx("stranger", Member("stranger", Authority("crane-akka-ca-other")), "right");
        Assert.StartsWith("--akka-tls-cert: peers would refuse this member's own certificate", Refusal(Options(stranger, ca, "right")));
    }

    [Theory]
    [InlineData(new[] { "--akka-tls-ca", "ca.crt" }, "--akka-tls-ca and --akka-tls-password need --akka-tls-cert")]
    [InlineData(new[] { "--akka-tls-password", "pw" }, "--akka-tls-ca and --akka-tls-password need --akka-tls-cert")]
    [InlineData(new[] { "--akka-tls-cert", "m.pfx", "--seed-nodes", "akka.tcp://crane@127.0.0.1:4053" }, "--seed-nodes: 'akka.tcp://crane@127.0.0.1:4053' is not a TLS address")]
    public void Tls_flags_that_cannot_work_are_refused(string[] args, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => CraneOptions.Parse(args, 0, NoEnv));
        Assert.StartsWith(message, ex.Message);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static CraneOptions Options(string cert, string? ca, string password) =>
        CraneOptions.Parse(ca is null
            ? ["--akka-tls-cert", cert, "--akka-tls-password", password]
            : ["--akka-tls-cert", cert, "--akka-tls-ca", ca, "--akka-tls-password", password], 0, NoEnv);

    private static string Refusal(CraneOptions options) => Assert.Throws<ArgumentException>(() => RemotingTls.Load(options, Clock)).Message;

    private string Pfx(string name, X509Certificate2 certificate, string password)
    {
        var path = Path.Combine(_dir, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    private string Pem(X509Certificate2 certificate)
    {
        var path = Path.Combine(_dir, "ca.crt");
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return path;
    }

    private string Der(X509Certificate2 certificate)
    {
        var path = Path.Combine(_dir, "ca.der");
        File.WriteAllBytes(path, certificate.RawData);
        return path;
    }
}
