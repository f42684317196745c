using CardAp.Hub.Extensions;
using CardAp.Hub.Store;

namespace CardAp.Hub.Tests.Host;

/// <summary>`cardap-hub migrate` as IT runs it: settings from arguments, a version line, exit codes.</summary>
public sealed class MigrateCommandTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("cardap-hub-migrate-");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task Migrates_once_then_has_nothing_to_do()
    {
        var connection = $"Data Source={Path.Combine(_folder.FullName, "hub.db")};Pooling=False";
        string[] args = ["--Hub:Database:Engine=Sqlite", $"--Hub:Database:ConnectionString={connection}"];
        var latest = new HubDatabase(HubEngine.Sqlite, connection).LatestSchemaVersion;

        var first = new StringWriter();
        Assert.Equal(0, await MigrateCommand.RunAsync(args, first));
        Assert.Contains($"schema version 0 -> {latest}, {latest} migration(s) applied", first.ToString(), StringComparison.Ordinal);

        var second = new StringWriter();
        Assert.Equal(0, await MigrateCommand.RunAsync(args, second));
        Assert.Contains($"schema version {latest} -> {latest}, 0 migration(s) applied", second.ToString(), StringComparison.Ordinal);
        await new HubDatabase(HubEngine.Sqlite, connection).EnsureCurrentAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Bad_settings_are_named_and_exit_non_zero()
    {
        var output = new StringWriter();
        Assert.Equal(2, await MigrateCommand.RunAsync(["--Hub:Database:ConnectionString= "], output));
        Assert.Contains("Hub:Database:ConnectionString is required", output.ToString(), StringComparison.Ordinal);

        var unreachable = new StringWriter();
        var code = await MigrateCommand.RunAsync(
            ["--Hub:Database:Engine=PostgreSql", "--Hub:Database:ConnectionString=Host=127.0.0.1;Port=1;Username=x;Timeout=2"], unreachable);
        Assert.Equal(1, code);
        Assert.Contains("could not be migrated", unreachable.ToString(), StringComparison.Ordinal);
    }
}
