using CardAp.Hub.Import;
using CardAp.Hub.Store;
using CardAp.Hub.Tests.Store;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Tests.Import;

/// <summary>The import applied to a real store, on SQLite and on the real PostgreSQL server.</summary>
public abstract class RegistrationImporterTests<TFixture>(TFixture fixture) where TFixture : HubDatabaseFixture
{
    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");

    private const string File =
        "市町村コード,カード番号,サービス,利用者番号,状態,登録日,氏名\r\n" +
        "131016,C-0001,library,L0001,利用中,2026/04/01,山田 太郎\r\n" +
        "131016,C-0002,library,L0002,利用中,2026/04/01,佐藤 花子\r\n";

    private async Task<(RegistrationImporter Importer, MasterStore Store)> NewAsync()
    {
        var database = await fixture.CreateDatabaseAsync();
        await database.MigrateAsync(TestContext.Current.CancellationToken);
        await new MunicipalityStore(database).AddAsync(Chiyoda, "千代田区", TestContext.Current.CancellationToken);
        var store = new MasterStore(database);
        return (new RegistrationImporter(store), store);
    }

    [Fact]
    public async Task Apply_writes_the_plan_and_a_second_run_of_the_same_file_changes_nothing()
    {
        var cancel = TestContext.Current.CancellationToken;
        var (importer, store) = await NewAsync();
        var bytes = CsvText.Cp932.GetBytes(File);

        var dryRun = await importer.PlanAsync(Chiyoda, bytes, cancel);
        Assert.Equal(2, dryRun.Adds.Count);
        Assert.Equal(0, await store.LastSequenceAsync(Chiyoda, cancel));

        var applied = await importer.ApplyAsync(Chiyoda, bytes, cancel);
        Assert.Equal(2, applied.Adds.Count);
        var afterFirst = await store.LastSequenceAsync(Chiyoda, cancel);
        Assert.Equal(2, afterFirst);
        var row = await store.GetAsync(Chiyoda, RegistrationImporter.Kind, "C-0001/library", cancel);
        Assert.Equal("山田 太郎", (string?)row!.Payload()!["name"]);

        var again = await importer.ApplyAsync(Chiyoda, bytes, cancel);
        Assert.True(again.IsEmpty);
        Assert.Equal(2, again.Unchanged);
        Assert.Equal(afterFirst, await store.LastSequenceAsync(Chiyoda, cancel));
    }

    [Fact]
    public async Task Removals_become_tombstones_in_the_change_feed()
    {
        var cancel = TestContext.Current.CancellationToken;
        var (importer, store) = await NewAsync();
        await importer.ApplyAsync(Chiyoda, CsvText.Cp932.GetBytes(File), cancel);
        var shorter = File.Replace("131016,C-0002,library,L0002,利用中,2026/04/01,佐藤 花子\r\n", string.Empty, StringComparison.Ordinal);

        var plan = await importer.ApplyAsync(Chiyoda, CsvText.Cp932.GetBytes(shorter), cancel);

        Assert.Equal("C-0002", Assert.Single(plan.Removals).Card.Value);
        Assert.Null(await store.GetAsync(Chiyoda, RegistrationImporter.Kind, "C-0002/library", cancel));
        var changes = await store.ChangesAfterAsync(Chiyoda, 2, 100, cancel);
        Assert.Equal("C-0002/library", Assert.Single(changes).Key);
    }
}

public sealed class SqliteRegistrationImporterTests(SqliteFixture fixture)
    : RegistrationImporterTests<SqliteFixture>(fixture), IClassFixture<SqliteFixture>;

public sealed class PostgresRegistrationImporterTests(PostgresFixture fixture)
    : RegistrationImporterTests<PostgresFixture>(fixture), IClassFixture<PostgresFixture>;
