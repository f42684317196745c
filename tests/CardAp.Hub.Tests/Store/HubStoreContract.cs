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

    [Fact]
    public async Task The_audit_lists_a_municipalitys_entries_newest_first_up_to_a_limit()
    {
        var code = NewCode();
        await new MunicipalityStore(fixture.Database).AddAsync(code, "監査市",
            [new HubAuditEntry(code, "it-1", "municipality.add", "監査市", new JsonObject { ["name"] = "監査市" })], Ct);
        var other = await NewMunicipalityAsync();
        var audit = new HubAuditStore(fixture.Database);
        await audit.AppendAsync([new HubAuditEntry(code, "it-1", "master.put", "site/a"), new HubAuditEntry(other, "it-9", "master.put", "site/x")], Ct);
        await audit.AppendAsync([new HubAuditEntry(code, "admin-2", "master.delete", null, new JsonObject { ["key"] = "a" })], Ct);

        var all = await audit.ListAsync(code, 10, Ct);
        Assert.Equal(["master.delete", "master.put", "municipality.add"], all.Select(e => e.Action));
        Assert.True(all[0].Id > all[1].Id && all[1].Id > all[2].Id);
        Assert.All(all, e => Assert.Equal(code, e.Municipality));
        Assert.Equal(("admin-2", (string?)null, "a"), (all[0].Actor, all[0].Subject, (string?)all[0].Detail()["key"]));
        Assert.Equal("{}", all[1].DetailJson);
        Assert.Equal("監査市", (string?)all[2].Detail()["name"]);
        Assert.True(DateTimeOffset.UtcNow - all[0].At < TimeSpan.FromMinutes(5));
        Assert.Equal(["master.delete", "master.put"], (await audit.ListAsync(code, 2, Ct)).Select(e => e.Action));
        Assert.Equal("it-9", Assert.Single(await audit.ListAsync(other, 10, Ct)).Actor);

        await Assert.ThrowsAsync<UnknownMunicipalityException>(() => audit.AppendAsync([new HubAuditEntry(NewCode(), "it-1", "x", null)], Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => audit.AppendAsync([new HubAuditEntry(code, "", "x", null)], Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => audit.AppendAsync([new HubAuditEntry(code, "it-1", "x", new string('s', HubAuditStore.MaxSubjectLength + 1))], Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => audit.ListAsync(code, 0, Ct));
        Assert.Equal(3, (await audit.ListAsync(code, 10, Ct)).Count);

        var cut = HubAuditStore.Subject(new string('k', 300));
        Assert.Equal(HubAuditStore.MaxSubjectLength, cut.Length);
        Assert.EndsWith("…", cut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_writes_its_audit_in_its_own_transaction_and_none_when_it_fails_or_changes_nothing()
    {
        var municipality = await NewMunicipalityAsync();
        var store = new MasterStore(fixture.Database);
        var audit = new HubAuditStore(fixture.Database);
        HubAuditEntry[] entry = [new(municipality, "admin-1", "master.put", "site/a")];

        await store.ApplyAsync(municipality, [MasterEdit.Upsert("site", "a", Payload("a"))], entry, Ct);
        Assert.Single(await audit.ListAsync(municipality, 10, Ct));

        // Nothing changed: no entry.
        Assert.Equal([new MasterWrite(false, 1)], await store.ApplyAsync(municipality, [MasterEdit.Upsert("site", "a", Payload("a"))], entry, Ct));
        Assert.Single(await audit.ListAsync(municipality, 10, Ct));

        // The audit entry cannot be written (unknown municipality): the change it describes rolls back with it.
        await Assert.ThrowsAsync<UnknownMunicipalityException>(() => store.ApplyAsync(municipality,
            [MasterEdit.Upsert("site", "b", Payload("b"))], [new HubAuditEntry(NewCode(), "admin-1", "master.put", "site/b")], Ct));
        Assert.Null(await store.GetAsync(municipality, "site", "b", Ct));
        Assert.Equal(1, await store.LastSequenceAsync(municipality, Ct));

        // The change fails: its audit entry rolls back with it.
        await Assert.ThrowsAsync<MasterConflictException>(() => store.ApplyAsync(municipality,
            [MasterEdit.Upsert("site", "c", Payload("c")), MasterEdit.Upsert("site", "a", Payload("a2")) with { ExpectedSeq = 0 }], entry, Ct));
        Assert.Null(await store.GetAsync(municipality, "site", "c", Ct));
        Assert.Single(await audit.ListAsync(municipality, 10, Ct));
        Assert.Equal(1, await store.LastSequenceAsync(municipality, Ct));
    }

    [Fact]
    public async Task An_expected_sequence_guards_against_a_concurrent_change()
    {
        var municipality = await NewMunicipalityAsync();
        var store = new MasterStore(fixture.Database);
        await store.UpsertAsync(municipality, "registration", "C-1/library", Payload("one"), Ct);
        await store.UpsertAsync(municipality, "registration", "C-2/library", Payload("two"), Ct);
        await store.DeleteAsync(municipality, "registration", "C-2/library", Ct);

        var stale = await Assert.ThrowsAsync<MasterConflictException>(() => store.ApplyAsync(municipality,
            [MasterEdit.Delete("registration", "C-1/library") with { ExpectedSeq = 7 }], Ct));
        Assert.Equal((1L, 7L), (stale.ActualSeq, stale.ExpectedSeq));
        Assert.NotNull(await store.GetAsync(municipality, "registration", "C-1/library", Ct));

        // 0 means "no live row": a tombstone counts as none, a live row does not.
        var results = await store.ApplyAsync(municipality,
        [
            MasterEdit.Upsert("registration", "C-2/library", Payload("two again")) with { ExpectedSeq = 0 },
            MasterEdit.Upsert("registration", "C-3/library", Payload("three")) with { ExpectedSeq = 0 },
            MasterEdit.Delete("registration", "C-1/library") with { ExpectedSeq = 1 },
        ], Ct);
        Assert.Equal([new MasterWrite(true, 4), new MasterWrite(true, 5), new MasterWrite(true, 6)], results);
        await Assert.ThrowsAsync<MasterConflictException>(() => store.ApplyAsync(municipality,
            [MasterEdit.Upsert("registration", "C-3/library", Payload("taken")) with { ExpectedSeq = 0 }], Ct));
        Assert.Equal("three", (string?)(await store.GetAsync(municipality, "registration", "C-3/library", Ct))!.Payload()!["name"]);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.ApplyAsync(municipality,
            [MasterEdit.Delete("registration", "C-3/library") with { ExpectedSeq = -1 }], Ct));
    }

    [Fact]
    public async Task A_key_prefix_lists_one_cards_live_rows_exactly()
    {
        var municipality = await NewMunicipalityAsync();
        var store = new MasterStore(fixture.Database);
        foreach (var key in new[] { "C-1/library", "C-1/points", "C-10/library", "c-1/library", "C_1/x", "C%1/x", "C-1/shelter" })
        {
            await store.UpsertAsync(municipality, "registration", key, Payload(key), Ct);
        }
        await store.UpsertAsync(municipality, "pointsBalance", "C-1/points", Payload("other kind"), Ct);
        await store.DeleteAsync(municipality, "registration", "C-1/shelter", Ct);
        var other = await NewMunicipalityAsync();
        await store.UpsertAsync(other, "registration", "C-1/seal", Payload("other municipality"), Ct);

        Assert.Equal(["C-1/library", "C-1/points"], (await store.ListByKeyPrefixAsync(municipality, "registration", "C-1/", Ct)).Select(r => r.Key));
        Assert.Equal(["C_1/x"], (await store.ListByKeyPrefixAsync(municipality, "registration", "C_1/", Ct)).Select(r => r.Key));
        Assert.Equal(["C%1/x"], (await store.ListByKeyPrefixAsync(municipality, "registration", "C%1/", Ct)).Select(r => r.Key));
        Assert.Empty(await store.ListByKeyPrefixAsync(municipality, "registration", "C-2/", Ct));
    }

    [Fact]
    public async Task A_move_with_its_audit_in_both_municipalities_is_all_or_nothing()
    {
        var from = await NewMunicipalityAsync();
        var to = await NewMunicipalityAsync();
        var store = new MasterStore(fixture.Database);
        var audit = new HubAuditStore(fixture.Database);
        var library = await store.UpsertAsync(from, "registration", "C-1/library", Payload("resident"), Ct);
        await store.UpsertAsync(to, "registration", "C-9/library", Payload("someone else"), Ct);
        HubAuditEntry[] entries =
        [
            new(from, "it-1", "resident.move-out", $"card C-1 to {to.Value}", new JsonObject { ["to"] = to.Value }),
            new(to, "it-1", "resident.move-in", $"card C-9 from {from.Value}", new JsonObject { ["from"] = from.Value }),
        ];

        // The target key is taken in the new municipality: neither side nor either audit changes.
        await Assert.ThrowsAsync<MasterConflictException>(() => store.ApplyAsync(new Dictionary<MunicipalityCode, IReadOnlyList<MasterEdit>>
        {
            [from] = [MasterEdit.Delete("registration", "C-1/library") with { ExpectedSeq = library.ChangeSeq }],
            [to] = [MasterEdit.Upsert("registration", "C-9/library", Payload("resident")) with { ExpectedSeq = 0 }],
        }, entries, Ct));
        Assert.NotNull(await store.GetAsync(from, "registration", "C-1/library", Ct));
        Assert.Empty(await audit.ListAsync(from, 10, Ct));
        Assert.Empty(await audit.ListAsync(to, 10, Ct));
        Assert.Equal((1L, 1L), (await store.LastSequenceAsync(from, Ct), await store.LastSequenceAsync(to, Ct)));

        var moved = await store.ApplyAsync(new Dictionary<MunicipalityCode, IReadOnlyList<MasterEdit>>
        {
            [from] = [MasterEdit.Delete("registration", "C-1/library") with { ExpectedSeq = library.ChangeSeq }],
            [to] = [MasterEdit.Upsert("registration", "C-2/library", Payload("resident")) with { ExpectedSeq = 0 }],
        }, entries, Ct);

        Assert.Equal([new MasterWrite(true, 2)], moved[from]);
        Assert.Equal([new MasterWrite(true, 2)], moved[to]);
        Assert.Null(await store.GetAsync(from, "registration", "C-1/library", Ct));
        Assert.NotNull(await store.GetAsync(to, "registration", "C-2/library", Ct));
        var outEntry = Assert.Single(await audit.ListAsync(from, 10, Ct));
        var inEntry = Assert.Single(await audit.ListAsync(to, 10, Ct));
        Assert.Equal(("resident.move-out", to.Value), (outEntry.Action, (string?)outEntry.Detail()["to"]));
        Assert.Equal(("resident.move-in", from.Value), (inEntry.Action, (string?)inEntry.Detail()["from"]));
    }

    [Fact]
    public async Task A_revoked_certificate_stays_revoked_and_is_audited_once()
    {
        var municipality = await NewMunicipalityAsync();
        var revocations = new RevokedCertificateStore(fixture.Database);
        var audit = new HubAuditStore(fixture.Database);
        var serial = "7" + Guid.NewGuid().ToString("N").ToUpperInvariant();
        Assert.Null(await revocations.GetAsync(serial, Ct));
        HubAuditEntry[] entries = [new(municipality, "it-1", "certificate.revoke", "terminal 1", new JsonObject { ["serial"] = serial })];

        var (first, added) = await revocations.RevokeAsync("00:" + serial.ToLowerInvariant(), "urn:cardap:terminal:x", "stolen", "it-1", entries, Ct);
        Assert.True(added);
        Assert.Equal(serial, first.Serial);
        var read = await revocations.GetAsync(serial, Ct);
        Assert.NotNull(read);
        Assert.Equal(("urn:cardap:terminal:x", "stolen", "it-1"), (read.Subject, read.Reason, read.RevokedBy));
        Assert.Single(await audit.ListAsync(municipality, 10, Ct));

        var (again, addedAgain) = await revocations.RevokeAsync(serial, "urn:cardap:terminal:x", "second thoughts", "it-2", entries, Ct);
        Assert.False(addedAgain);
        Assert.Equal(("stolen", "it-1"), (again.Reason, again.RevokedBy));
        Assert.Single(await audit.ListAsync(municipality, 10, Ct));

        // An audit entry that cannot be written leaves the serial unrevoked.
        var other = serial + "CD";
        await Assert.ThrowsAsync<UnknownMunicipalityException>(() => revocations.RevokeAsync(other, "s", "r", "it-1",
            [new HubAuditEntry(NewCode(), "it-1", "certificate.revoke", null)], Ct));
        Assert.Null(await revocations.GetAsync(other, Ct));

        Assert.Equal("A1B2", RevokedCertificateStore.NormalizeSerial("00 a1:b2"));
        Assert.Throws<FormatException>(() => RevokedCertificateStore.NormalizeSerial("xyz"));
        Assert.Throws<FormatException>(() => RevokedCertificateStore.NormalizeSerial(new string('1', 41)));
        await Assert.ThrowsAsync<ArgumentException>(() => revocations.RevokeAsync(other, "s", " ", "it-1", [], Ct));
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
