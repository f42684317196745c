using CardAp.Edge.Options;

namespace CardAp.Edge.Tests.Startup;

public class EdgeOptionsValidatorTests
{
    private static readonly EdgeOptionsValidator Validator = new();

    [Fact]
    public void Sensible_settings_pass()
    {
        var result = Validator.Validate(null, new EdgeOptions { Municipality = "131016" });
        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Every_problem_is_named_with_its_setting()
    {
        var result = Validator.Validate(null, new EdgeOptions
        {
            Municipality = "131017",
            SessionIdleTimeout = TimeSpan.FromSeconds(1),
            ShutdownDeadline = TimeSpan.FromHours(1),
            Readers = ReaderBackend.Virtual,
            VirtualReaderCount = 0,
            HubAddress = "not a uri",
            InitialMasterSnapshot = "/nowhere/snapshot.json",
        });
        Assert.False(result.Succeeded);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("Edge:Municipality", StringComparison.Ordinal) && f.Contains("131016", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Edge:SessionIdleTimeout", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Edge:ShutdownDeadline", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Edge:VirtualReaderCount", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Edge:HubAddress", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Edge:InitialMasterSnapshot", StringComparison.Ordinal));
    }

    [Fact]
    public void An_https_hub_needs_the_enrolment_certificates()
    {
        var result = Validator.Validate(null, new EdgeOptions { Municipality = "131016", HubAddress = "https://hub.lgwan.example:7443" });
        Assert.False(result.Succeeded);
        Assert.Contains(result.Failures!, f => f.StartsWith("Edge:HubCaCertificatePath", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Edge:HubClientCertificatePath", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Edge:HubClientKeyPath", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_host_refuses_to_start_with_bad_settings_and_says_why()
    {
        var builder = WebApplication.CreateBuilder();
        var directory = Directory.CreateTempSubdirectory("cardap-options-");
        try
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Edge:Municipality"] = "999999",
                ["Store:DatabasePath"] = Path.Combine(directory.FullName, "edge.db"),
                ["Store:TerminalId"] = "131016-T001",
                ["Logging:Directory"] = Path.Combine(directory.FullName, "logs"),
            });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            Extensions.EdgeServiceExtensions.AddEdgeServices(builder);
            await using var app = builder.Build();
            var e = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));
            Assert.Contains("Edge:Municipality", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }
}
