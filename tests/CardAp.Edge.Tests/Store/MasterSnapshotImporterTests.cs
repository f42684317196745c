using System.Text;
using System.Text.Json.Nodes;
using CardAp.Edge.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace CardAp.Edge.Tests.Store;

public sealed class MasterSnapshotImporterTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 1, 0, 0, TimeSpan.Zero);

    private static MasterSnapshotImporter Importer(TempStore store) =>
        new(store.Database, new CardAp.Testing.ManualClock(Now), NullLogger<MasterSnapshotImporter>.Instance);

    private static JsonObject Snapshot(params JsonNode?[] rows) => new()
    {
        ["format"] = "cardap-master-snapshot",
        ["version"] = 1,
        ["municipality"] = "131016",
        ["createdAt"] = "2026-11-26T18:00:00+09:00",
        ["rows"] = new JsonArray(rows),
    };

    private static JsonObject Row(string kind, string key, JsonNode? payload = null) => new() { ["kind"] = kind, ["key"] = key, ["payload"] = payload ?? new JsonObject { ["id"] = key } };

    private static byte[] Bytes(JsonObject snapshot) => Encoding.UTF8.GetBytes(snapshot.ToJsonString());

    [Fact]
    public void A_good_snapshot_replaces_all_master_data_and_is_audited()
    {
        using var store = new TempStore();
        store.Master.Apply([MasterChange.Upsert("service", "old", "{}", 40), MasterChange.Upsert("closure", "2026-01-01", "{}", 41)]);
        var version = store.Master.Version;
        var snapshot = Snapshot(Row("service", "library"), Row("service", "points"), Row("cardStatus", "131016/C1", new JsonObject { ["status"] = "suspended", ["名前"] = "山田" }));
        snapshot["sequence"] = 1234;

        var rows = Importer(store).Import(Bytes(snapshot), "ADMIN1", "site.json");

        Assert.Equal(3, rows);
        Assert.Equal(3, store.Master.Count());
        Assert.Null(store.Master.GetJson("service", "old"));
        Assert.Equal("""{"status":"suspended","名前":"山田"}""", store.Master.GetJson("cardStatus", "131016/C1"));
        Assert.All(store.Master.Rows("service"), r => Assert.Equal(0, r.Version));
        Assert.Equal(1234, store.Master.Checkpoint);
        Assert.True(store.Master.Version > version);
        var audit = Assert.Single(store.Records.AuditAfter(0));
        Assert.Equal((MasterSnapshotImporter.AuditAction, "ok", "ADMIN1", "131016"), (audit.Action, audit.Outcome, audit.Operator, audit.Subject));
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.FromHours(9)), audit.LocalTime);
        var detail = JsonNode.Parse(audit.DetailJson)!;
        Assert.Equal(3, detail["rows"]!.GetValue<int>());
        Assert.Equal(2, detail["replacedRows"]!.GetValue<int>());
        Assert.Equal(2, detail["kinds"]!["service"]!.GetValue<int>());
        Assert.Equal(1, detail["kinds"]!["cardStatus"]!.GetValue<int>());
        Assert.Equal("site.json", detail["source"]!.GetValue<string>());
        Assert.True(store.Verifier.Verify(TestContext.Current.CancellationToken).IsValid);
    }

    [Fact]
    public void A_file_imports_and_names_itself_in_the_audit()
    {
        using var store = new TempStore();
        var path = Path.Combine(store.Root, "bring-up.json");
        File.WriteAllBytes(path, Bytes(Snapshot(Row("role", "clerk"))));

        Assert.Equal(1, Importer(store).ImportFile(path));

        Assert.Contains("bring-up.json", store.Records.AuditAfter(0)[0].DetailJson, StringComparison.Ordinal);
        Assert.Contains("Cannot read", Assert.Throws<MasterSnapshotException>(() => Importer(store).ImportFile(path + ".missing")).Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadSnapshots()
    {
        string With(Action<JsonObject> change)
        {
            var snapshot = Snapshot(Row("service", "library"), Row("service", "points"));
            change(snapshot);
            return snapshot.ToJsonString();
        }
        return new()
        {
            { "{ not json", "not valid JSON (line 1" },
            { "[]", "must be a JSON object, got Array" },
            { With(s => s["format"] = "something-else"), "Unknown format \"something-else\"" },
            { With(s => s.Remove("format")), "Unknown format (missing)" },
            { With(s => s["version"] = 2), "Unsupported snapshot version 2: this edge reads version 1" },
            { With(s => s["municipality"] = "131017"), "wrong check digit" },
            { With(s => s["municipality"] = "011002"), "this terminal (131016-T001) belongs to 131016" },
            { With(s => s["createdAt"] = "yesterday"), "\"createdAt\" is missing or not an ISO 8601" },
            { With(s => s["sequence"] = -1), "\"sequence\" must be a non-negative integer" },
            { With(s => s["rows"] = new JsonArray()), "\"rows\" is empty" },
            { With(s => s["rows"]!.AsArray().Add(new JsonObject { ["key"] = "x", ["payload"] = new JsonObject() })), "Row 2: kind must be 1 to 64 characters (kind missing, key \"x\")" },
            { With(s => s["rows"]!.AsArray().Add(new JsonObject { ["kind"] = "service", ["payload"] = new JsonObject() })), "Row 2: key must be 1 to 256 characters (kind \"service\", key missing)" },
            { With(s => s["rows"]!.AsArray().Add(Row("service", "library"))), "Row 2 (service/library): duplicate of row 0" },
            { With(s => s["rows"]!.AsArray().Add(Row("service", "x", new JsonArray()))), "Row 2 (service/x): payload must be a JSON object, got Array" },
            { With(s => s["rows"]!.AsArray().Add(new JsonObject { ["kind"] = "service", ["key"] = "y" })), "Row 2 (service/y): payload must be a JSON object, got nothing" },
            { With(s => s["rows"]!.AsArray().Add(JsonValue.Create(5))), "Row 2: must be an object with kind, key and payload, got Number" },
        };
    }

    [Theory]
    [MemberData(nameof(BadSnapshots))]
    public void A_bad_snapshot_is_refused_with_the_problem_named_and_nothing_changes(string document, string problem)
    {
        using var store = new TempStore();
        store.Master.Apply([MasterChange.Upsert("service", "existing", "{}", 3)]);
        var version = store.Master.Version;

        var e = Assert.Throws<MasterSnapshotException>(() => Importer(store).Import(Encoding.UTF8.GetBytes(document), "ADMIN1"));

        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("The master data snapshot was not imported; nothing was changed.", e.Message, StringComparison.Ordinal);
        Assert.Equal([new MasterRow("service", "existing", "{}", 3)], store.Master.Rows("service"));
        Assert.Equal(1, store.Master.Count());
        Assert.Equal(version, store.Master.Version);
        Assert.Equal(3, store.Master.Checkpoint);
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM audit_log"));
    }

    [Fact]
    public void Every_problem_is_listed_up_to_a_limit()
    {
        using var store = new TempStore();
        var rows = Enumerable.Range(0, 30).Select(i => (JsonNode?)Row("service", $"s{i}", new JsonArray())).ToArray();

        var e = Assert.Throws<MasterSnapshotException>(() => Importer(store).Import(Bytes(Snapshot(rows))));

        Assert.Equal(21, e.Problems.Count);
        Assert.Equal("...and 10 more.", e.Problems[^1]);
        Assert.Contains("Row 19 (service/s19)", e.Problems[19], StringComparison.Ordinal);
    }

    [Fact]
    public void A_store_holding_another_municipalitys_data_refuses_the_snapshot()
    {
        using var store = new TempStore("T001");
        Importer(store).Import(Bytes(Snapshot(Row("role", "clerk"))));
        var other = Snapshot(Row("role", "clerk"));
        other["municipality"] = "011002";

        var e = Assert.Throws<MasterSnapshotException>(() => Importer(store).Import(Bytes(other)));

        Assert.Contains("holds master data of municipality 131016; the snapshot is for 011002", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM audit_log"));
    }
}
