using CardAp.Hub.Extensions;
using CardAp.Hub.Options;
using CardAp.Hub.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CardAp.Hub.Tests.Host;

public sealed class HubStartupTests : IDisposable
{
    private readonly HubPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public void Sensible_settings_pass()
    {
        var result = new HubOptionsValidator().Validate(null, Options());
        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Every_problem_is_named_with_its_setting()
    {
        var result = new HubOptionsValidator().Validate(null, new HubOptions
        {
            CaCertificatePath = "/nowhere/ca.pem",
            ServerCertificatePath = "",
            ServerKeyPath = "/nowhere/hub.key",
            ListenUrl = "http://0.0.0.0:7443",
        });
        Assert.False(result.Succeeded);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("Hub:CaCertificatePath", StringComparison.Ordinal) && f.Contains("does not exist", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Hub:ServerCertificatePath is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Hub:ServerKeyPath", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Hub:ListenUrl", StringComparison.Ordinal) && f.Contains("https", StringComparison.Ordinal));
    }

    [Fact]
    public void A_server_key_that_does_not_match_is_named()
    {
        var otherKey = Path.Combine(_pki.Directory, "other.key");
        using (var other = _pki.Ca.IssueLocalServerCertificate())
        {
            File.WriteAllText(otherKey, CertificatePem.ExportPrivateKey(other));
        }
        var options = Options();
        options.ServerKeyPath = otherKey;
        var result = new HubOptionsValidator().Validate(null, options);
        Assert.False(result.Succeeded);
        Assert.Contains(result.Failures!, f => f.StartsWith("Hub:ServerCertificatePath / Hub:ServerKeyPath", StringComparison.Ordinal));
    }

    [Fact]
    public void A_server_certificate_from_another_ca_and_a_leaf_as_ca_are_named()
    {
        using var otherCa = HubCertificateAuthority.Create("Other CA");
        var dir = _pki.Directory;
        using (var foreign = otherCa.IssueLocalServerCertificate())
        {
            CertificatePem.Write(foreign, Path.Combine(dir, "foreign.pem"), Path.Combine(dir, "foreign.key"));
        }
        var options = Options();
        options.ServerCertificatePath = Path.Combine(dir, "foreign.pem");
        options.ServerKeyPath = Path.Combine(dir, "foreign.key");
        var result = new HubOptionsValidator().Validate(null, options);
        Assert.Contains(result.Failures!, f => f.StartsWith("Hub:ServerCertificatePath", StringComparison.Ordinal) && f.Contains("not by the hub CA", StringComparison.Ordinal));

        options = Options();
        options.CaCertificatePath = _pki.ServerCertificatePath;
        result = new HubOptionsValidator().Validate(null, options);
        Assert.Contains(result.Failures!, f => f.StartsWith("Hub:CaCertificatePath", StringComparison.Ordinal) && f.Contains("not a CA", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://0.0.0.0:7443", true)]
    [InlineData("https://127.0.0.1:0", true)]
    [InlineData("https://localhost:7443", true)]
    [InlineData("https://[::]:7443", true)]
    [InlineData("https://localhost:0", false)]
    [InlineData("https://hub.example.lg.jp:7443", false)]
    [InlineData("https://0.0.0.0", false)]
    [InlineData("https://0.0.0.0:7443/admin", false)]
    [InlineData("not a url", false)]
    public void Listen_urls(string url, bool valid) =>
        Assert.Equal(valid, HubListenAddress.TryParse(url, out _, out _));

    [Fact]
    public async Task The_host_refuses_to_start_with_bad_settings_and_says_why()
    {
        var builder = WebApplication.CreateBuilder();
        var settings = _pki.Settings();
        settings["Hub:CaCertificatePath"] = Path.Combine(_pki.Directory, "missing-ca.pem");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddHubServices();
        await using var app = builder.Build();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("Hub:CaCertificatePath", e.Message, StringComparison.Ordinal);
    }

    private HubOptions Options() => new()
    {
        CaCertificatePath = _pki.CaCertificatePath,
        ServerCertificatePath = _pki.ServerCertificatePath,
        ServerKeyPath = _pki.ServerKeyPath,
        ListenUrl = "https://127.0.0.1:0",
    };
}
