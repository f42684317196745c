using System.Text.Json.Nodes;
using CardAp.Edge.Store;

namespace CardAp.Edge.Tests.Store;

public sealed class MasterDataTests
{
    private sealed record ServiceRow(string Id, bool Enabled, Dictionary<string, string>? Settings);

    [Fact]
    public void Applied_rows_read_back_typed_with_camel_case()
    {
        using var store = new TempStore();
        Assert.True(store.Master.IsEmpty);
        var before = store.Master.Version;

        var changed = store.Master.Apply(
        [
            MasterChange.Upsert("service", "library", new JsonObject { ["id"] = "library", ["enabled"] = true, ["settings"] = new JsonObject { ["loanLimit"] = "10" } }, 5),
            MasterChange.Upsert("service", "points", """{"id":"points","enabled":false}""", 6),
            MasterChange.Upsert("closure", "2026-12-29", """{"date":"2026-12-29"}""", 7),
        ]);

        Assert.Equal(3, changed);
        Assert.False(store.Master.IsEmpty);
        var library = store.Master.Get<ServiceRow>("service", "library")!;
        Assert.Equal(("library", true), (library.Id, library.Enabled));
        Assert.Equal("10", library.Settings!["loanLimit"]);
        Assert.Equal(["library", "points"], store.Master.All<ServiceRow>("service").Select(s => s.Id));
        Assert.Null(store.Master.Get<ServiceRow>("service", "shelter"));
        Assert.Empty(store.Master.All<ServiceRow>("nothing"));
        Assert.Equal(2, store.Master.Count("service"));
        Assert.Equal(3, store.Master.Count());
        Assert.Equal(7, store.Master.Checkpoint);
        Assert.True(store.Master.Version > before);
    }

    [Fact]
    public void Tombstones_delete_and_older_changes_are_ignored()
    {
        using var store = new TempStore();
        store.Master.Apply([MasterChange.Upsert("cardStatus", "C1", """{"status":"suspended"}""", 10), MasterChange.Upsert("cardStatus", "C2", """{"status":"revoked"}""", 11)]);

        store.Master.Apply(
        [
            MasterChange.Upsert("cardStatus", "C1", """{"status":"lost"}""", 9), // older than the stored row: ignored
            MasterChange.Delete("cardStatus", "C2", 12),
        ]);

        Assert.Equal("""{"status":"suspended"}""", store.Master.GetJson("cardStatus", "C1"));
        Assert.Null(store.Master.GetJson("cardStatus", "C2"));
        Assert.Equal(12, store.Master.Checkpoint);
        Assert.Equal([new MasterRow("cardStatus", "C1", """{"status":"suspended"}""", 10)], store.Master.Rows("cardStatus"));
    }

    [Fact]
    public void A_bad_change_applies_nothing()
    {
        using var store = new TempStore();
        var version = store.Master.Version;

        var e = Assert.Throws<ArgumentException>(() => store.Master.Apply(
        [
            MasterChange.Upsert("service", "library", """{"id":"library"}""", 1),
            MasterChange.Upsert("service", "points", "[1,2]", 2),
        ]));

        Assert.Contains("Master change 1 (service/points): payload must be a JSON object, got Array.", e.Message, StringComparison.Ordinal);
        Assert.True(store.Master.IsEmpty);
        Assert.Equal(version, store.Master.Version);
        Assert.Contains("not valid JSON", Assert.Throws<ArgumentException>(() => store.Master.Apply([MasterChange.Upsert("a", "b", "{", 1)])).Message, StringComparison.Ordinal);
        Assert.Contains("kind must be", Assert.Throws<ArgumentException>(() => store.Master.Apply([MasterChange.Upsert("", "b", "{}", 1)])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_payload_that_does_not_fit_the_type_names_the_row()
    {
        using var store = new TempStore();
        store.Master.Apply([MasterChange.Upsert("service", "library", """{"id":"library","enabled":"yes"}""", 1)]);

        var e = Assert.Throws<InvalidDataException>(() => store.Master.Get<ServiceRow>("service", "library"));

        Assert.Contains("Master data service/library does not fit ServiceRow", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_version_survives_a_restart()
    {
        using var store = new TempStore();
        store.Master.Apply([MasterChange.Upsert("role", "clerk", "{}", 1)]);
        var version = store.Master.Version;

        store.Reopen();

        Assert.Equal(version, store.Master.Version);
        Assert.Equal(1, store.Master.Checkpoint);
    }
}
