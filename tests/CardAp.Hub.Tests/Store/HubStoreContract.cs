using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Hub.Store;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Tests.Store;

/// <summary>
/// The hub store's contract, run unchanged against every engine (one subclass per engine). Each
/// test uses municipalities of its own, so tests share the class's database without interfering.
/// </summary>
public abstract class HubStoreContract<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : HubDatabaseFixture
{
    private static int _nextCode = 10_000;

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Migrations_apply_once_and_are_idempotent()
    {
        var database = await fixture.CreateDatabaseAsync();
        Assert.Equal(0, await database.SchemaVersionAsync(Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(() => database.EnsureCurrentAsync(Ct));

        Assert.Equal(database.LatestSchemaVersion, await database.MigrateAsync(Ct));
        Assert.Equal(0, await database.MigrateAsync(Ct));
        Assert.Equal(0, await new HubDatabase(database.Engine, database.ConnectionStringForTests).MigrateAsync(Ct));
        Assert.Equal(database.LatestSchemaVersion, await database.SchemaVersionAsync(Ct));
        await database.EnsureCurrentAsync(Ct);
    }

    [Fact]
    public async Task A_database_newer_than_the_code_is_refused()
    {
        var database = await fixture.CreateDatabaseAsync();
        await database.MigrateAsync(Ct);
        await using (var connection = await database.OpenAsync(Ct))
        {
            await HubDatabase.ExecuteAsync(connection, null,
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @at)", Ct,
                ("@version", database.LatestSchemaVersion + 1), ("@name", "from_the_future"), ("@at", "2099-01-01T00:00:00Z"));
        }

        var refused = await Assert.ThrowsAsync<HubSchemaTooNewException>(() => database.MigrateAsync(Ct));
        Assert.Equal(database.LatestSchemaVersion + 1, refused.DatabaseVersion);
        Assert.Contains("newer than this hub knows", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HubSchemaTooNewException>(() => database.EnsureCurrentAsync(Ct));
        Assert.Equal(database.LatestSchemaVersion + 1, await database.SchemaVersionAsync(Ct));
    }

    [Fact]
    public async Task Municipalities_are_added_listed_and_not_duplicated()
    {
        var store = new MunicipalityStore(fixture.Database);
        var code = NewCode();
        var added = await store.AddAsync(code, "千代田区", Ct);

        var read = await store.GetAsync(code, Ct);
        Assert.NotNull(read);
        Assert.Equal("千代田区", read.Name);
        Assert.Equal(code, read.Code);
        Assert.Equal(added.CreatedAt.ToUnixTimeSeconds(), read.CreatedAt.ToUnixTimeSeconds());
        Assert.Contains(await store.ListAsync(Ct), m => m.Code == code);
        Assert.Null(await store.GetAsync(NewCode(), Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.AddAsync(code, "again", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.AddAsync(NewCode(), " ", Ct));
        Assert.Equal(0, await new MasterStore(fixture.Database).LastSequenceAsync(code, Ct));
    }

    [Fact]
    public async Task Upsert_get_and_list_round_trip_payloads()
    {
        var municipality = await NewMunicipalityAsync();
        var store = new MasterStore(fixture.Database);

        var first = await store.UpsertAsync(municipality, "site", "b-library", Payload("中央図書館"), Ct);
        await store.UpsertAsync(municipality, "site", "a-branch", Payload("本庁舎"), Ct);
        await store.UpsertAsync(municipality, "terminal", "t-1", Payload("kiosk"), Ct);
        Assert.Equal(new MasterWrite(true, 1), first);

        var row = await store.GetAsync(municipality, "site", "b-library", Ct);
        Assert.NotNull(row);
        Assert.Equal("中央図書館", (string?)row.Payload()!["name"]);
        Assert.Equal(1, row.ChangeSeq);
        Assert.False(row.Deleted);
        Assert.Equal(["a-branch", "b-library"], (await store.ListAsync(municipality, "site", Ct)).Select(r => r.Key));

        var replaced = await store.UpsertAsync(municipality, "site", "b-library", Payload("中央図書館 (新館)"), Ct);
        Assert.Equal(new MasterWrite(true, 4), replaced);
        Assert.Equal("中央図書館 (新館)", (string?)(await store.GetAsync(municipality, "site", "b-library", Ct))!.Payload()!["name"]);

        var same = await store.UpsertAsync(municipality, "site", "b-library", Payload("中央図書館 (新館)"), Ct);
        Assert.Equal(new MasterWrite(false, 4), same);
        Assert.Equal(4, await store.LastSequenceAsync(municipality, Ct));
        Assert.Null(await store.GetAsync(municipality, "site", "missing", Ct));
    }

    [Fact]
    public async Task Deletes_are_tombstones_in_the_change_feed()
    {
        var municipality = await NewMunicipalityAsync();
        var store = new MasterStore(fixture.Database);
        await store.UpsertAsync(municipality, "cardStatus", "0001", Payload("suspended"), Ct);
        await store.UpsertAsync(municipality, "cardStatus", "0002", Payload("revoked"), Ct);

        Assert.Equal(new MasterWrite(true, 3), await store.DeleteAsync(municipality, "cardStatus", "0001", Ct));
        Assert.Equal(new MasterWrite(false, 3), await store.DeleteAsync(municipality, "cardStatus", "0001", Ct));
        Assert.Equal(new MasterWrite(false, 0), await store.DeleteAsync(municipality, "cardStatus", "never", Ct));

        Assert.Null(await store.GetAsync(municipality, "cardStatus", "0001", Ct));
        Assert.Equal(["0002"], (await store.ListAsync(municipality, "cardStatus", Ct)).Select(r => r.Key));
        var changes = await store.ChangesAfterAsync(municipality, 0, 100, Ct);
        Assert.Equal([2L, 3L], changes.Select(c => c.ChangeSeq));
        var tombstone = changes[1];
        Assert.True(tombstone.Deleted);
        Assert.Null(tombstone.PayloadJson);
        Assert.Equal(("cardStatus", "0001"), (tombstone.Kind, tombstone.Key));

        Assert.Equal(new MasterWrite(true, 4), await store.UpsertAsync(municipality, "cardStatus", "0001", Payload("active"), Ct));
        Assert.False((await store.ChangesAfterAsync(municipality, 3, 100, Ct)).Single().Deleted);
    }

    [Fact]
    public async Task A_batch_applies_in_order_in_one_transaction_and_unchanged_edits_take_no_sequence()
    {
        var municipality = await NewMunicipalityAsync();
        var store = new MasterStore(fixture.Database);
        await store.UpsertAsync(municipality, "registration", "m-1", Payload("one"), Ct);

        var results = await store.ApplyAsync(municipality,
        [
            MasterEdit.Upsert("registration", "m-1", Payload("one")),
            MasterEdit.Upsert("registration", "m-2", Payload("two")),
            MasterEdit.Delete("registration", "m-1"),
            MasterEdit.Delete("registration", "missing"),
            MasterEdit.Upsert("pointsBalance", "m-2", Payload("120")),
        ], Ct);

        Assert.Equal([new MasterWrite(false, 1), new MasterWrite(true, 2), new MasterWrite(true, 3), new MasterWrite(false, 0), new MasterWrite(true, 4)], results);
        Assert.Equal(4, await store.LastSequenceAsync(municipality, Ct));
        Assert.Equal([2L, 3L, 4L], (await store.ChangesAfterAsync(municipality, 0, 10, Ct)).Select(c => c.ChangeSeq));

        var nothing = await store.ApplyAsync(municipality, [MasterEdit.Upsert("registration", "m-2", Payload("two"))], Ct);
        Assert.Equal([new MasterWrite(false, 2)], nothing);
        Assert.Equal(4, await store.LastSequenceAsync(municipality, Ct));
        Assert.Equal(new MasterWrite(true, 5), await store.UpsertAsync(municipality, "registration", "m-3", Payload("three"), Ct));
        await Assert.ThrowsAsync<UnknownMunicipalityException>(() => store.ApplyAsync(NewCode(), [MasterEdit.Delete("x", "y")], Ct));
    }

    [Fact]
    public async Task A_move_between_two_municipalities_is_one_transaction()
    {
        var from = await NewMunicipalityAsync();
        var to = await NewMunicipalityAsync();
        var store = new MasterStore(fixture.Database);
        await store.UpsertAsync(from, "registration", "library/0042", Payload("member"), Ct);
        await store.UpsertAsync(to, "site", "branch", Payload("branch"), Ct);

        // All or nothing: a move that names an unknown municipality changes neither side.
        await Assert.ThrowsAsync<UnknownMunicipalityException>(() => store.ApplyAsync(
            new Dictionary<MunicipalityCode, IReadOnlyList<MasterEdit>>
            {
                [from] = [MasterEdit.Delete("registration", "library/0042")],
                [NewCode()] = [MasterEdit.Upsert("registration", "library/0042", Payload("member"))],
            }, Ct));
        Assert.NotNull(await store.GetAsync(from, "registration", "library/0042", Ct));
        Assert.Equal(1, await store.LastSequenceAsync(from, Ct));

        var moved = await store.ApplyAsync(new Dictionary<MunicipalityCode, IReadOnlyList<MasterEdit>>
        {
            [to] = [MasterEdit.Upsert("registration", "library/0042", Payload("member"))],
            [from] = [MasterEdit.Delete("registration", "library/0042")],
        }, Ct);

        Assert.Equal([new MasterWrite(true, 2)], moved[from]);
        Assert.Equal([new MasterWrite(true, 2)], moved[to]);
        Assert.Null(await store.GetAsync(from, "registration", "library/0042", Ct));
        Assert.Equal("member", (string?)(await store.GetAsync(to, "registration", "library/0042", Ct))!.Payload()!["name"]);
        Assert.True((await store.ChangesAfterAsync(from, 1, 10, Ct)).Single().Deleted);
    }

    [Fact]
    public async Task Change_sequences_are_gap_free_per_municipality()
    {
        var a = await NewMunicipalityAsync();
        var b = await NewMunicipalityAsync();
        var store = new MasterStore(fixture.Database);
        var seqsA = new List<long>();
        var seqsB = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            seqsA.Add((await store.UpsertAsync(a, "operator", $"op-{i}", Payload($"a{i}"), Ct)).ChangeSeq);
            if (i % 2 == 0)
            {
                seqsB.Add((await store.UpsertAsync(b, "operator", $"op-{i}", Payload($"b{i}"), Ct)).ChangeSeq);
            }
        }
        seqsA.Add((await store.DeleteAsync(a, "operator", "op-3", Ct)).ChangeSeq);

        Assert.Equal(Enumerable.Range(1, 11).Select(i => (long)i), seqsA);
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (long)i), seqsB);
        // The feed holds each row's latest change: op-3's upsert (4) is superseded by its tombstone (11).
        Assert.Equal(seqsA.Where(seq => seq != 4), (await store.ChangesAfterAsync(a, 0, 100, Ct)).Select(c => c.ChangeSeq));
        Assert.Equal(seqsB, (await store.ChangesAfterAsync(b, 0, 100, Ct)).Select(c => c.ChangeSeq));
        Assert.Equal(11, await store.LastSequenceAsync(a, Ct));
        Assert.Equal(5, await store.LastSequenceAsync(b, Ct));
    }

    [Fact]
    public async Task A_municipality_never_sees_another_municipalitys_rows()
    {
        var a = await NewMunicipalityAsync();
        var b = await NewMunicipalityAsync();
        var store = new MasterStore(fixture.Database);
        await store.UpsertAsync(a, "registration", "member-1", Payload("A"), Ct);
        await store.UpsertAsync(b, "registration", "member-1", Payload("B"), Ct);
        await store.UpsertAsync(b, "registration", "member-2", Payload("B"), Ct);
        await store.DeleteAsync(b, "registration", "member-1", Ct);

        Assert.Equal("A", (string?)(await store.GetAsync(a, "registration", "member-1", Ct))!.Payload()!["name"]);
        Assert.Null(await store.GetAsync(a, "registration", "member-2", Ct));
        Assert.All(await store.ListAsync(a, "registration", Ct), row => Assert.Equal(a, row.Municipality));
        Assert.Single(await store.ListAsync(a, "registration", Ct));
        var feed = await store.ChangesAfterAsync(a, 0, 100, Ct);
        Assert.Equal(a, Assert.Single(feed).Municipality);
        Assert.All(await store.ChangesAfterAsync(b, 0, 100, Ct), row => Assert.Equal(b, row.Municipality));
    }

    [Fact]
    public async Task Writes_for_an_unknown_municipality_are_refused()
    {
        var store = new MasterStore(fixture.Database);
        var unknown = NewCode();
        await Assert.ThrowsAsync<UnknownMunicipalityException>(() => store.UpsertAsync(unknown, "site", "x", Payload("x"), Ct));
        await Assert.ThrowsAsync<UnknownMunicipalityException>(() => store.DeleteAsync(unknown, "site", "x", Ct));
        await Assert.ThrowsAsync<UnknownMunicipalityException>(() => store.LastSequenceAsync(unknown, Ct));
        Assert.Empty(await store.ChangesAfterAsync(unknown, 0, 10, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.UpsertAsync(unknown, "", "x", Payload("x"), Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.UpsertAsync(unknown, "site", new string('k', MasterStore.MaxKeyLength + 1), Payload("x"), Ct));
    }

    [Fact]
    public async Task ChangesAfter_pages_through_the_feed()
    {
        var municipality = await NewMunicipalityAsync();
        var store = new MasterStore(fixture.Database);
        for (var i = 0; i < 25; i++)
        {
            await store.UpsertAsync(municipality, "shelter", $"s-{i:D2}", Payload($"shelter {i}"), Ct);
        }

        var seen = new List<long>();
        var pages = new List<int>();
        var checkpoint = 0L;
        while (true)
        {
            var page = await store.ChangesAfterAsync(municipality, checkpoint, 7, Ct);
            if (page.Count == 0)
            {
                break;
            }
            pages.Add(page.Count);
            seen.AddRange(page.Select(r => r.ChangeSeq));
            checkpoint = page[^1].ChangeSeq;
        }
        Assert.Equal([7, 7, 7, 4], pages);
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), seen);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.ChangesAfterAsync(municipality, 0, 0, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.ChangesAfterAsync(municipality, -1, 10, Ct));
    }

    [Fact]
    public async Task Concurrent_writers_in_two_hub_processes_get_unique_gap_free_commit_ordered_sequences()
    {
        const int writers = 8;
        const int writesEach = 50;
        const int total = writers * writesEach;
        var municipality = await NewMunicipalityAsync();
        MasterStore[] processes = [new(fixture.Database), new(fixture.SecondInstance())];

        // A feed reader polls while the writers run: with commit-ordered sequences it never sees a gap.
        using var done = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var reader = Task.Run(async () =>
        {
            var checkpoint = 0L;
            var feed = new Dictionary<string, long>();
            while (checkpoint < total)
            {
                var page = await processes[1].ChangesAfterAsync(municipality, checkpoint, 64, Ct);
                foreach (var row in page)
                {
                    Assert.Equal(checkpoint + 1, row.ChangeSeq);
                    checkpoint = row.ChangeSeq;
                    feed[row.Key] = row.ChangeSeq;
                }
                if (page.Count == 0)
                {
                    await Task.Delay(5, Ct);
                }
            }
            return feed;
        }, Ct);

        var results = await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var written = new List<(string Key, long Seq)>();
            for (var i = 0; i < writesEach; i++)
            {
                var key = string.Create(CultureInfo.InvariantCulture, $"w{w}-{i:D2}");
                var result = await processes[w % 2].UpsertAsync(municipality, "loanSummary", key, Payload(key), Ct);
                Assert.True(result.Changed);
                written.Add((key, result.ChangeSeq));
            }
            return written;
        }, Ct)));

        var all = results.SelectMany(r => r).ToList();
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), all.Select(w => w.Seq).Order());
        Assert.Equal(total, await processes[0].LastSequenceAsync(municipality, Ct));
        var rows = await processes[0].ListAsync(municipality, "loanSummary", Ct);
        Assert.Equal(total, rows.Count);
        Assert.All(rows, row => Assert.Equal(row.Key, (string?)row.Payload()!["name"]));
        var feed = await reader.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.Equal(all.ToDictionary(w => w.Key, w => w.Seq), feed);
    }

    private static JsonObject Payload(string name) => new() { ["name"] = name, ["status"] = "active" };

    private static MunicipalityCode NewCode() =>
        MunicipalityCode.FromFiveDigits(Interlocked.Increment(ref _nextCode).ToString(CultureInfo.InvariantCulture));

    private async Task<MunicipalityCode> NewMunicipalityAsync()
    {
        var code = NewCode();
        await new MunicipalityStore(fixture.Database).AddAsync(code, $"テスト市 {code.Value}", Ct);
        return code;
    }
}

public sealed class SqliteHubStoreTests(SqliteFixture fixture) : HubStoreContract<SqliteFixture>(fixture);

public sealed class PostgresHubStoreTests(PostgresFixture fixture) : HubStoreContract<PostgresFixture>(fixture);

public sealed class SqlServerHubStoreTests(SqlServerFixture fixture) : HubStoreContract<SqlServerFixture>(fixture);
