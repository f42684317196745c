using CardAp.Edge.Store;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Tests.Store;

public sealed class EdgeStoreOptionsTests
{
    [Fact]
    public void Missing_path_and_terminal_are_named_with_an_example()
    {
        var result = new EdgeStoreOptionsValidator().Validate(null, new EdgeStoreOptions());

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Store:DatabasePath is required", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Store:TerminalId is required", StringComparison.Ordinal) && f.Contains("131016-T001", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("131016 T001")]
    [InlineData("端末1")]
    [InlineData("131016-T001-THIS-ID-IS-FAR-TOO-LONG-X")]
    public void Bad_terminal_ids_are_refused(string terminalId)
    {
        var result = new EdgeStoreOptionsValidator().Validate(null, new EdgeStoreOptions { DatabasePath = "/tmp/x.db", TerminalId = terminalId });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains($"Store:TerminalId '{terminalId}'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(367)]
    public void Backups_kept_out_of_range_is_refused(int kept)
    {
        var result = new EdgeStoreOptionsValidator().Validate(null, new EdgeStoreOptions { DatabasePath = "/tmp/x.db", TerminalId = "T1", BackupsKept = kept });

        Assert.Equal([$"Store:BackupsKept must be between 1 and 366, got {kept}."], result.Failures);
    }

    [Fact]
    public void Binds_from_configuration_with_defaults()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Store:DatabasePath"] = "/var/lib/cardap/edge.db",
            ["Store:TerminalId"] = "131016-T001",
            ["Store:BackupTime"] = "20:15",
        }).Build();
        var options = configuration.GetSection(EdgeStoreOptions.Section).Get<EdgeStoreOptions>()!;

        Assert.Equal(new TimeOnly(20, 15), options.BackupTime);
        Assert.Equal(7, options.BackupsKept);
        Assert.Equal("/var/lib/cardap/backups", options.ResolveBackupDirectory());
        Assert.True(new EdgeStoreOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Relative_backup_directory_is_beside_the_database()
    {
        var options = new EdgeStoreOptions { DatabasePath = "/var/lib/cardap/edge.db", TerminalId = "T1", BackupDirectory = "../cardap-backups" };

        Assert.Equal("/var/lib/cardap-backups", options.ResolveBackupDirectory());
        Assert.Equal(new TimeOnly(19, 30), options.BackupTime);
    }

    [Fact]
    public void Building_the_store_with_invalid_options_throws_every_problem()
    {
        var e = Assert.Throws<OptionsValidationException>(() => new EdgeDatabase(new EdgeStoreOptions { BackupsKept = 0 }));

        Assert.Equal(3, e.Failures.Count());
    }
}
