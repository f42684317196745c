using System.Text;
using System.Text.Json.Nodes;
using CardAp.Hub.Errors;
using CardAp.Hub.Store;
using CardAp.Hub.Tests.Store;
using CardAp.Hub.Validation;
using CardAp.Shared.Domain;
using CardAp.Shared.Services;
using Grpc.Core;

namespace CardAp.Hub.Tests.Validation;

public sealed class ServiceTuningValidatorTests
{
    private const string Kind = MasterKinds.ServiceTuning;

    private const string Checkup = """
        {"id":"checkup","nameEn":"Health check-up","nameJa":"健康診断",
         "operations":[{"name":"checkin","roles":["health-staff"],"kioskAllowed":true},
                       {"name":"checkout","roles":["health-staff"],"offline":"OnlineOnly"}]}
        """;

    private static readonly Dictionary<string, JsonObject> Definitions = new(StringComparer.Ordinal)
    {
        ["checkup"] = JsonNode.Parse(Checkup)!.AsObject(),
        ["broken"] = JsonNode.Parse("""{"id":"broken","nameEn":"Broken","nameJa":"壊れた定義","operations":"checkin"}""")!.AsObject(),
    };

    private static IReadOnlyList<MasterProblem> Validate(string key, string json, string kind = Kind) =>
        ServiceTuningValidator.Validate(kind, key, JsonNode.Parse(json)!.AsObject(), id => Definitions.GetValueOrDefault(id));

    /// <summary>The row is refused with exactly one problem, on this field; every problem reads in English and Japanese.</summary>
    private static MasterProblem Refused(string key, string json, string field)
    {
        var problems = Validate(key, json);
        var problem = Assert.Single(problems);
        Assert.Equal(field, problem.Field);
        AssertReadable(problem);
        return problem;
    }

    private static void AssertReadable(MasterProblem problem)
    {
        Assert.False(string.IsNullOrWhiteSpace(problem.MessageEn), problem.Field);
        Assert.Contains(problem.MessageJa, c => c is >= '\u3040' and <= '\u9FFF');
    }

    [Theory]
    [InlineData("library", """{"id":"library"}""")]
    [InlineData("library", """{"id":"library","enabled":true,"settings":{"loanLimit":"5","loanPeriodDays":"21","renewalLimit":"0"},"offline":{"checkout":"OnlineOnly","return":"Allowed"},"kiosk":{"renew":false}}""")]
    [InlineData("points", """{"id":"points","enabled":false,"settings":{"offlineRedeemLimitPerDay":"0"},"offline":{"redeem":"Limited","accrue":"onlineonly"},"kiosk":{"redeem":false,"accrue":false}}""")]
    [InlineData("points", """{"id":"points","offline":{"redeem":"OnlineOnly"}}""")]
    [InlineData("seal", """{"id":"seal","settings":{"feePerCopy":"0"},"offline":{"request-certificate":"OnlineOnly"},"kiosk":{"request-certificate":true}}""")]
    [InlineData("shelter", """{"id":"shelter","enabled":true,"settings":{},"offline":null,"kiosk":{}}""")]
    [InlineData("checkup", """{"id":"checkup","offline":{"checkin":"OnlineOnly","checkout":"OnlineOnly"},"kiosk":{"checkin":false,"checkout":false}}""")]
    public void A_row_within_its_service_schema_passes(string key, string json)
    {
        Assert.Empty(Validate(key, json));
    }

    [Fact]
    public void Every_built_in_default_is_valid_tuning_of_its_own_service()
    {
        foreach (var schema in ServiceSchemas.BuiltIn)
        {
            var row = new JsonObject
            {
                ["id"] = schema.Id,
                ["settings"] = new JsonObject(schema.Settings.Select(s => KeyValuePair.Create(s.Name, (JsonNode?)s.Default))),
                ["offline"] = new JsonObject(schema.Operations.Select(o => KeyValuePair.Create(o.Name, (JsonNode?)o.OfflineDefault.ToString()))),
                ["kiosk"] = new JsonObject(schema.Operations.Select(o => KeyValuePair.Create(o.Name, (JsonNode?)o.KioskAllowed))),
            };
            Assert.Empty(ServiceTuningValidator.Validate(Kind, schema.Id, row, _ => null));
        }
    }

    [Theory]
    [InlineData(MasterKinds.Closure)]
    [InlineData(MasterKinds.AttendanceDefinition)]
    [InlineData("somethingNew")]
    public void Rows_of_other_kinds_pass_untouched(string kind)
    {
        Assert.Empty(Validate("nothing", """{"id":"library","settings":{"loanLimit":"0"},"x":[1]}""", kind));
    }

    [Fact]
    public void An_unknown_service_is_refused_on_the_key()
    {
        var problem = Refused("bookmobile", """{"id":"bookmobile"}""", "key");
        Assert.Contains("'bookmobile'", problem.MessageEn, StringComparison.Ordinal);
        Assert.Contains("library, shelter, points, seal", problem.MessageEn, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_that_is_no_service_id_is_refused_on_the_key()
    {
        Refused("library/main", """{"id":"library/main"}""", "key");
    }

    [Fact]
    public void An_attendance_service_whose_definition_cannot_be_read_is_refused_on_the_key()
    {
        var problem = Refused("broken", """{"id":"broken"}""", "key");
        Assert.Contains("attendance definition", problem.MessageEn, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"id":"points"}""", "differs from the key")]
    [InlineData("""{"enabled":true}""", "missing")]
    [InlineData("""{"id":null}""", "missing")]
    [InlineData("""{"id":7}""", "must be a string")]
    public void The_payload_id_must_be_the_key(string json, string expected)
    {
        var problem = Refused("library", json, "id");
        Assert.Contains(expected, problem.MessageEn, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("library", """{"id":"library","settings":{"loanlimit":"5"}}""", "settings.loanlimit", "no setting 'loanlimit'")]
    [InlineData("shelter", """{"id":"shelter","settings":{"capacity":"100"}}""", "settings.capacity", "has no settings")]
    [InlineData("checkup", """{"id":"checkup","settings":{"loanLimit":"5"}}""", "settings.loanLimit", "has no settings")]
    public void An_unknown_setting_is_refused(string key, string json, string field, string expected)
    {
        var problem = Refused(key, json, field);
        Assert.Contains(expected, problem.MessageEn, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"id":"library","settings":{"loanLimit":"0"}}""", "settings.loanLimit", "loanLimit must be a whole number from 1 to 100, got '0'.")]
    [InlineData("""{"id":"library","settings":{"loanPeriodDays":"366"}}""", "settings.loanPeriodDays", "loanPeriodDays must be a whole number from 1 to 365, got '366'.")]
    [InlineData("""{"id":"library","settings":{"loanLimit":"ten"}}""", "settings.loanLimit", "loanLimit must be a whole number from 1 to 100, got 'ten'.")]
    [InlineData("""{"id":"library","settings":{"loanLimit":"2.5"}}""", "settings.loanLimit", "loanLimit must be a whole number from 1 to 100, got '2.5'.")]
    [InlineData("""{"id":"points","settings":{"offlineRedeemLimitPerDay":"-1"}}""", "settings.offlineRedeemLimitPerDay", "offlineRedeemLimitPerDay must be a whole number from 0 to 100000, got '-1'.")]
    public void A_setting_value_out_of_range_or_not_a_whole_number_is_refused_with_the_schema_message(string json, string field, string expected)
    {
        var key = JsonNode.Parse(json)!["id"]!.GetValue<string>();
        var problem = Refused(key, json, field);
        Assert.Equal(expected, problem.MessageEn);
        Assert.Contains("整数", problem.MessageJa, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"id":"library","settings":{"loanLimit":10}}""", "e.g. \"10\"")]
    [InlineData("""{"id":"library","settings":{"loanLimit":true}}""", "got true")]
    [InlineData("""{"id":"library","settings":{"loanLimit":null}}""", "got null")]
    public void A_setting_value_that_is_not_a_string_is_refused(string json, string expected)
    {
        var problem = Refused("library", json, "settings.loanLimit");
        Assert.Contains(expected, problem.MessageEn, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("library", """{"id":"library","offline":{"lend":"OnlineOnly"}}""", "offline.lend")]
    [InlineData("library", """{"id":"library","kiosk":{"lend":false}}""", "kiosk.lend")]
    [InlineData("checkup", """{"id":"checkup","kiosk":{"enter":false}}""", "kiosk.enter")]
    [InlineData("points", """{"id":"points","offline":{"Redeem":"OnlineOnly"}}""", "offline.Redeem")]
    public void An_unknown_operation_is_refused(string key, string json, string field)
    {
        var problem = Refused(key, json, field);
        Assert.Contains("has no operation", problem.MessageEn, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"Sometimes\"")]
    [InlineData("\"2\"")]
    [InlineData("2")]
    [InlineData("\"\"")]
    [InlineData("null")]
    public void An_offline_policy_that_is_not_a_policy_name_is_refused(string value)
    {
        var problem = Refused("library", $$$"""{"id":"library","offline":{"checkout":{{{value}}}}}""", "offline.checkout");
        Assert.Contains("Allowed, Limited, OnlineOnly", problem.MessageEn, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("points", "redeem", "Allowed", "looser")]
    [InlineData("seal", "request-certificate", "Allowed", "looser")]
    [InlineData("seal", "request-certificate", "Limited", "looser")]
    [InlineData("checkup", "checkout", "Allowed", "looser")]
    [InlineData("library", "checkout", "Limited", "would change nothing")]
    [InlineData("checkup", "checkin", "Limited", "would change nothing")]
    public void An_offline_policy_looser_than_the_default_or_without_effect_is_refused(string key, string operation, string policy, string expected)
    {
        var problem = Refused(key, $$$"""{"id":"{{{key}}}","offline":{"{{{operation}}}":"{{{policy}}}"}}""", $"offline.{operation}");
        Assert.Contains(expected, problem.MessageEn, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("points", "accrue")]
    [InlineData("shelter", "checkin")]
    [InlineData("checkup", "checkout")]
    public void Kiosk_use_cannot_be_switched_on_where_the_service_does_not_allow_it(string key, string operation)
    {
        var problem = Refused(key, $$$"""{"id":"{{{key}}}","kiosk":{"{{{operation}}}":true}}""", $"kiosk.{operation}");
        Assert.Contains("may only switch kiosk use off", problem.MessageEn, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"id":"library","enabled":"yes"}""", "enabled")]
    [InlineData("""{"id":"library","enabled":null}""", "enabled")]
    [InlineData("""{"id":"library","settings":["loanLimit","5"]}""", "settings")]
    [InlineData("""{"id":"library","offline":"OnlineOnly"}""", "offline")]
    [InlineData("""{"id":"library","kiosk":false}""", "kiosk")]
    [InlineData("""{"id":"library","kiosk":{"checkout":"false"}}""", "kiosk.checkout")]
    [InlineData("""{"id":"library","kiosk":{"checkout":0}}""", "kiosk.checkout")]
    [InlineData("""{"id":"library","setings":{"loanLimit":"5"}}""", "setings")]
    [InlineData("""{"id":"library","Enabled":false}""", "Enabled")]
    public void A_malformed_shape_is_refused_on_its_field(string json, string field)
    {
        Refused("library", json, field);
    }

    [Fact]
    public void A_property_written_in_the_wrong_case_is_named_with_its_spelling()
    {
        var problem = Refused("library", """{"id":"library","Settings":{}}""", "Settings");
        Assert.Contains("'settings'", problem.MessageEn, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_of_a_row_is_reported_together()
    {
        var problems = Validate("points", """
            {"id":"point","enabled":1,"settings":{"maxBalance":"0","bonus":"5"},
             "offline":{"redeem":"Allowed","accrue":"OnlineOnly"},"kiosk":{"accrue":true,"redeem":false},"note":"x"}
            """);

        Assert.Equal(["note", "id", "enabled", "settings.maxBalance", "settings.bonus", "offline.redeem", "kiosk.accrue"], problems.Select(p => p.Field));
        Assert.All(problems, AssertReadable);
    }

    [Fact]
    public void The_refusal_is_invalid_argument_naming_each_field_in_English_and_Japanese()
    {
        var problems = Validate("library", """{"id":"library","settings":{"loanLimit":"0"},"kiosk":{"lend":true}}""");

        var refusal = MasterProblems.Refusal(Kind, "library", problems);

        Assert.Equal(StatusCode.InvalidArgument, refusal.StatusCode);
        Assert.Equal(MasterProblems.Reason, refusal.Trailers.GetValue(HubRefusal.ReasonTrailer));
        Assert.StartsWith("Master data service/library was not stored: settings.loanLimit: ", refusal.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("; kiosk.lend: ", refusal.Status.Detail, StringComparison.Ordinal);
        var ja = Encoding.UTF8.GetString(refusal.Trailers.GetValueBytes(HubRefusal.MessageJaTrailer)!);
        Assert.Contains("settings.loanLimit: loanLimit は 1 から 100 までの整数で指定してください", ja, StringComparison.Ordinal);
        Assert.Contains("kiosk.lend: ", ja, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_list_of_problems_is_cut_with_a_count()
    {
        var settings = new JsonObject(Enumerable.Range(0, 15).Select(i => KeyValuePair.Create($"unknown{i}", (JsonNode?)"1")));
        var problems = ServiceTuningValidator.Validate(Kind, "library", new JsonObject { ["id"] = "library", ["settings"] = settings }, _ => null);
        Assert.Equal(15, problems.Count);

        var refusal = MasterProblems.Refusal(Kind, "library", problems);

        Assert.EndsWith("; and 5 more problems.", refusal.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("unknown10", refusal.Status.Detail, StringComparison.Ordinal);
    }
}

/// <summary>The validator against a real store: attendance services are the municipality's own.</summary>
public sealed class ServiceTuningValidatorStoreTests(SqliteFixture fixture) : IClassFixture<SqliteFixture>
{
    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");
    private static readonly MunicipalityCode Minato = MunicipalityCode.Parse("131032");

    [Fact]
    public async Task An_attendance_service_can_be_tuned_only_in_the_municipality_that_defines_it()
    {
        var cancel = TestContext.Current.CancellationToken;
        var database = await fixture.CreateDatabaseAsync();
        await database.MigrateAsync(cancel);
        var municipalities = new MunicipalityStore(database);
        await municipalities.AddAsync(Chiyoda, "千代田区", cancel);
        await municipalities.AddAsync(Minato, "港区", cancel);
        var store = new MasterStore(database);
        await store.UpsertAsync(Chiyoda, MasterKinds.AttendanceDefinition, "gym", JsonNode.Parse("""
            {"id":"gym","nameEn":"Sports centre","nameJa":"スポーツセンター","operations":[{"name":"enter","roles":["counter-clerk"]}]}
            """)!.AsObject(), cancel);
        var validator = new ServiceTuningValidator(store);
        var tuning = JsonNode.Parse("""{"id":"gym","offline":{"enter":"OnlineOnly"}}""")!.AsObject();

        Assert.Empty(await validator.ValidateAsync(Chiyoda, MasterKinds.ServiceTuning, "gym", tuning, cancel));
        await validator.EnsureValidAsync(Chiyoda, MasterKinds.ServiceTuning, "gym", tuning, cancel);
        Assert.Equal("key", Assert.Single(await validator.ValidateAsync(Minato, MasterKinds.ServiceTuning, "gym", tuning, cancel)).Field);
        var refusal = await Assert.ThrowsAsync<RpcException>(() => validator.EnsureValidAsync(Minato, MasterKinds.ServiceTuning, "gym", tuning, cancel));
        Assert.Equal(StatusCode.InvalidArgument, refusal.StatusCode);

        var kiosk = JsonNode.Parse("""{"id":"gym","kiosk":{"enter":true}}""")!.AsObject();
        Assert.Equal("kiosk.enter", Assert.Single(await validator.ValidateAsync(Chiyoda, MasterKinds.ServiceTuning, "gym", kiosk, cancel)).Field);
        Assert.Empty(await validator.ValidateAsync(Minato, MasterKinds.ServiceTuning, "library", JsonNode.Parse("""{"id":"library"}""")!.AsObject(), cancel));
        Assert.Empty(await validator.ValidateAsync(Minato, MasterKinds.Closure, "2026-12-29", JsonNode.Parse("""{"date":"whenever"}""")!.AsObject(), cancel));
    }
}
