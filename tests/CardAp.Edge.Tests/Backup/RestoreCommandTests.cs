using CardAp.Edge.Backup;
using CardAp.Edge.Tests.Store;

namespace CardAp.Edge.Tests.Backup;

public sealed class RestoreCommandTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Restores_over_the_database_the_terminal_folders_settings_name_and_marks_it_for_sync()
    {
        using var store = new TempStore();
        store.Records.RecordTransaction(TempStore.Transaction("before"), TempStore.Audit());
        var backup = await BackupTestKit.Service(store, TimeProvider.System).BackupNowAsync(Cancel);
        store.Records.RecordTransaction(TempStore.Transaction("after"), TempStore.Audit());
        store.Database.Dispose(); // the edge is stopped
        // As in a terminal folder: the database named relative to it, the command run from elsewhere.
        File.WriteAllText(Path.Combine(store.Root, "appsettings.json"), """{ "Store": { "DatabasePath": "edge.db", "TerminalId": "131016-T001" } }""");
        var (output, error) = (new StringWriter(), new StringWriter());

        var exit = RestoreCommand.Run([backup.Path, "--contentRoot", store.Root], output, error);

        Assert.True(exit == 0, error.ToString());
        Assert.Contains($"Restored {backup.Path} to {store.DatabasePath}", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("復元しました", output.ToString(), StringComparison.Ordinal);
        store.Reopen();
        Assert.Equal(["before"], store.Records.TransactionsAfter(0).Select(t => t.Id));
        Assert.NotNull(store.Outbox.GetState("restore.pending"));
    }

    [Fact]
    public async Task Refuses_while_the_edge_still_has_the_database_open()
    {
        using var store = new TempStore();
        store.Records.RecordTransaction(TempStore.Transaction("t"), TempStore.Audit());
        var backup = await BackupTestKit.Service(store, TimeProvider.System).BackupNowAsync(Cancel);
        var (output, error) = (new StringWriter(), new StringWriter());

        var exit = RestoreCommand.Run([backup.Path, $"--Store:DatabasePath={store.DatabasePath}", "--Store:TerminalId=131016-T001"], output, error);

        Assert.Equal(2, exit);
        Assert.Contains("is in use: stop the edge", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("データベースは変更されていません", error.ToString(), StringComparison.Ordinal);
        Assert.Null(store.Outbox.GetState("restore.pending"));
    }

    [Fact]
    public void Without_store_settings_it_names_the_missing_setting()
    {
        var folder = Directory.CreateTempSubdirectory("cardap-restore-");
        try
        {
            var (output, error) = (new StringWriter(), new StringWriter());

            var exit = RestoreCommand.Run(["backup.db", "--contentRoot", folder.FullName], output, error);

            Assert.Equal(1, exit);
            Assert.Contains("Store:DatabasePath is required", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Without_a_backup_it_prints_usage()
    {
        var error = new StringWriter();

        Assert.Equal(1, RestoreCommand.Run([], new StringWriter(), error));
        Assert.Contains("Usage: cardap-edge --restore", error.ToString(), StringComparison.Ordinal);
    }
}
