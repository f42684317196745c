using System.Text.Json.Nodes;
using CardAp.Edge.Services;
using CardAp.Edge.Services.Modules;
using CardAp.Shared.Services;

namespace CardAp.Edge.Tests.Modules;

public sealed class AttendanceModuleTests
{
    private const string Checkup = """
        {"id":"checkup-2026","nameEn":"Health check-up","nameJa":"健康診断",
         "operations":[{"name":"checkin","roles":["health-staff"],"pinRequired":false,"kioskAllowed":true,"offline":"Allowed",
                        "fields":[{"name":"venue","type":"Text","required":true,"maxLength":32},
                                  {"name":"age","type":"Integer","required":false,"min":0,"max":130}]},
                       {"name":"checkout","roles":["health-staff","counter-clerk"],"offline":"OnlineOnly"}],
         "oncePerDay":true}
        """;

    private const string Gym = """
        {"id":"gym","nameEn":"Sports centre","nameJa":"スポーツセンター","needsMembership":false,
         "operations":[{"name":"enter","roles":["counter-clerk"]}]}
        """;

    private static AttendanceModule Load(ModuleHarness h, string json)
    {
        var key = JsonNode.Parse(json)!["id"]!.GetValue<string>();
        h.SetMasterJson(AttendanceDefinitions.Kind, key, json);
        return Assert.Single(AttendanceDefinitions.Load(h.Master), m => m.Id == key);
    }

    [Fact]
    public void A_definition_in_master_data_becomes_a_service_with_its_operations_and_fields()
    {
        using var h = new ModuleHarness();

        var module = Load(h, Checkup);

        Assert.Equal(("checkup-2026", "Health check-up", "健康診断"), (module.Id, module.NameEn, module.NameJa));
        Assert.True(module.Definition.OncePerDay);
        var checkin = module.Operations[0];
        Assert.Equal(("checkin", true, false, OfflinePolicy.Allowed, true), (checkin.Name, checkin.KioskAllowed, checkin.PinRequired, checkin.OfflineDefault, checkin.NeedsMembership));
        Assert.Equal(["health-staff"], checkin.Roles);
        Assert.Equal(new FieldDefinition("venue", FieldType.Text, true, 32), checkin.FieldList[0]);
        Assert.Equal(new FieldDefinition("age", FieldType.Integer, false, 20, 0, 130), checkin.FieldList[1]);
        var checkout = module.Operations[1];
        Assert.Equal(OfflinePolicy.OnlineOnly, checkout.OfflineDefault);
        Assert.False(checkout.KioskAllowed);
        Assert.Empty(checkout.FieldList);
    }

    [Theory]
    [InlineData(Checkup)]
    [InlineData(Gym)]
    public void The_hub_reads_the_same_tuning_schema_from_the_stored_definition_as_the_edge_parses(string json)
    {
        using var h = new ModuleHarness();
        var module = Load(h, json);

        var read = AttendanceSchemas.FromDefinition(module.Id, JsonNode.Parse(json)!.AsObject());

        Assert.NotNull(read);
        Assert.Equal((module.Schema.Id, module.Schema.NameEn, module.Schema.NameJa), (read.Id, read.NameEn, read.NameJa));
        Assert.Equal(module.Schema.Operations, read.Operations);
        Assert.Empty(read.Settings);
    }

    [Theory]
    [InlineData("""{"operations":[{"name":"in","roles":["counter-clerk"],"offline":"Limited"}]}""")]
    [InlineData("""{"operations":[{"name":"in","roles":["counter-clerk"],"offline":"2"}]}""")]
    [InlineData("""{"operations":[{"name":"in","roles":["counter-clerk"],"kioskAllowed":"yes"}]}""")]
    [InlineData("""{"operations":[{"name":"in"},{"name":"in"}]}""")]
    [InlineData("""{"operations":[]}""")]
    public void What_the_edge_refuses_in_the_tuned_parts_the_hub_cannot_read_either(string operations)
    {
        var definition = JsonNode.Parse(operations)!.AsObject();
        definition["id"] = "gym";
        definition["nameEn"] = "Gym";
        definition["nameJa"] = "ジム";

        Assert.Throws<AttendanceDefinitionException>(() => AttendanceDefinition.Parse("gym", definition.ToJsonString()));
        Assert.Null(AttendanceSchemas.FromDefinition("gym", definition));
    }

    [Fact]
    public void Checkin_records_the_fields_and_once_per_day_refuses_a_second_one_until_the_next_Japan_day()
    {
        using var h = new ModuleHarness();
        var module = Load(h, Checkup);

        var outcome = h.Run(module, "checkin", "H1", ("venue", "Hall A"), ("age", 67));
        Assert.Equal("checkin", outcome.Result!["operation"]);
        var stored = Assert.Single(h.Records.Transactions("checkup-2026"));
        Assert.Equal("Hall A", stored.ParsePayload()["venue"]!.GetValue<string>());
        Assert.Equal(67, stored.ParsePayload()["age"]!.GetValue<long>());

        h.Now = h.Now.AddHours(3);
        var refusal = h.Refused("AlreadyCheckedInToday", module, "checkin", "H1", ("venue", "Hall B"));
        Assert.Contains("10:00", refusal.MessageEn, StringComparison.Ordinal);
        // Another operation and another resident are separate.
        h.Run(module, "checkout", "H1");
        h.Card = "C0002";
        h.Run(module, "checkin", "H2", ("venue", "Hall A"), ("age", ""));
        Assert.False(h.Records.Transactions("checkup-2026", member: "H2")[0].ParsePayload().ContainsKey("age"));

        h.Card = "C0001";
        h.Now = new DateTimeOffset(2026, 6, 1, 15, 0, 0, TimeSpan.Zero); // midnight in Japan
        h.Run(module, "checkin", "H1", ("venue", "Hall A"));
    }

    [Fact]
    public void Without_once_per_day_a_resident_may_check_in_repeatedly_and_without_membership_by_card()
    {
        using var h = new ModuleHarness();
        var module = Load(h, Gym);
        Assert.False(module.Operations[0].NeedsMembership);

        h.Run(module, "enter", null);
        h.Run(module, "enter", null);

        Assert.Equal(2, h.Records.Transactions("gym").Count(t => t.CardRef == "C0001"));
    }

    [Fact]
    public void Once_per_day_without_membership_tells_cards_apart()
    {
        using var h = new ModuleHarness();
        var module = Load(h, Gym.Replace("\"needsMembership\":false", "\"needsMembership\":false,\"oncePerDay\":true", StringComparison.Ordinal));

        h.Run(module, "enter", null);
        h.Refused("AlreadyCheckedInToday", module, "enter", null);
        h.Card = "C0002";
        h.Run(module, "enter", null);
    }

    [Fact]
    public void A_training_checkin_does_not_use_up_the_day()
    {
        using var h = new ModuleHarness { Training = true };
        var module = Load(h, Checkup);
        h.Run(module, "checkin", "H1", ("venue", "Hall A"));

        h.Training = false;
        h.Run(module, "checkin", "H1", ("venue", "Hall A"));
        h.Refused("AlreadyCheckedInToday", module, "checkin", "H1", ("venue", "Hall A"));
    }

    [Fact]
    public void Load_returns_every_valid_definition_in_id_order()
    {
        using var h = new ModuleHarness();
        h.SetMasterJson(AttendanceDefinitions.Kind, "gym", Gym);
        h.SetMasterJson(AttendanceDefinitions.Kind, "checkup-2026", Checkup);

        var modules = AttendanceDefinitions.Load(h.Master);

        Assert.Equal(["checkup-2026", "gym"], modules.Select(m => m.Id));
    }

    [Fact]
    public void Load_skips_and_reports_an_invalid_definition_or_throws_without_a_reporter()
    {
        using var h = new ModuleHarness();
        h.SetMasterJson(AttendanceDefinitions.Kind, "gym", Gym);
        h.SetMasterJson(AttendanceDefinitions.Kind, "bad", """{"id":"bad","nameEn":"Bad","nameJa":"不正","operations":[{"name":"checkin","roles":["nurse"]}]}""");
        var errors = new List<string>();

        var modules = AttendanceDefinitions.Load(h.Master, errors.Add);

        Assert.Equal(["gym"], modules.Select(m => m.Id));
        var error = Assert.Single(errors);
        Assert.Contains("'bad'", error, StringComparison.Ordinal);
        Assert.Contains("operations[0].roles[0] \"nurse\" is not an operator role", error, StringComparison.Ordinal);
        var thrown = Assert.Throws<AttendanceDefinitionException>(() => AttendanceDefinitions.Load(h.Master));
        Assert.Equal("bad", thrown.Key);
    }

    [Theory]
    [InlineData("""{"id":"checkup","nameEn":"A","nameJa":"あ","operations":[{"name":"checkin","roles":["nurse"]}]}""", "operations[0].roles[0] \"nurse\" is not an operator role")]
    [InlineData("""{"id":"checkup","nameEn":"A","nameJa":"あ","operations":[{"name":"checkin","roles":["health-staff"],"fields":[{"name":"day","type":"Date"}]}]}""", "operations[0].fields[0].type \"Date\" is not a field type (Text, Integer)")]
    [InlineData("""{"id":"checkup","nameEn":"A","nameJa":"あ","operations":[{"name":"check in","roles":["health-staff"]}]}""", "operations[0].name 'check in' must be")]
    [InlineData("""{"id":"checkup","nameEn":"A","nameJa":"あ","operations":[{"name":"checkin","roles":["health-staff"]},{"name":"checkin","roles":["health-staff"]}]}""", "operations[1].name 'checkin' is used twice")]
    [InlineData("""{"id":"checkup","nameEn":"A","nameJa":"あ","operations":[]}""", "operations: at least one operation is needed")]
    [InlineData("""{"id":"checkup","nameEn":"A","nameJa":"あ","operations":[{"name":"checkin","roles":[]}]}""", "operations[0].roles: at least one operator role is needed")]
    [InlineData("""{"id":"checkup","nameEn":"A","nameJa":"あ","operations":[{"name":"checkin","roles":["health-staff"],"offline":"Limited"}]}""", "\"Limited\" is not available for attendance services")]
    [InlineData("""{"id":"checkup","nameEn":"A","nameJa":"あ","operations":[{"name":"checkin","roles":["health-staff"],"offline":"Sometimes"}]}""", "operations[0].offline \"Sometimes\" must be")]
    [InlineData("""{"id":"checkup","nameEn":"A","nameJa":"あ","operations":[{"name":"checkin","roles":["health-staff"],"kioskAlowed":true}]}""", "operations[0].kioskAlowed: unknown property")]
    [InlineData("""{"id":"checkup","nameEn":"A","nameJa":"あ","operations":[{"name":"checkin","roles":["health-staff"],"pinRequired":"yes"}]}""", "operations[0].pinRequired \"yes\" must be true or false")]
    [InlineData("""{"id":"checkup","nameEn":"A","nameJa":"あ","operations":[{"name":"checkin","roles":["health-staff"],"fields":[{"name":"pinCode"}]}]}""", "looks like a PIN or password field")]
    [InlineData("""{"id":"checkup","nameEn":"A","nameJa":"あ","operations":[{"name":"checkin","roles":["health-staff"],"fields":[{"name":"n","type":"Integer","min":5,"max":1}]}]}""", "min 5 is greater than max 1")]
    [InlineData("""{"id":"checkup","nameEn":"A","nameJa":"あ","operations":[{"name":"checkin","roles":["health-staff"],"fields":[{"name":"n","maxLength":0}]}]}""", "maxLength 0 must be from 1 to 1024")]
    [InlineData("""{"id":"checkup","nameEn":"A","nameJa":"あ","operations":[{"name":"checkin","roles":["health-staff"],"fields":[{"name":"n","min":1}]}]}""", "min and max apply to Integer fields only")]
    [InlineData("""{"id":"checkup","nameJa":"あ","operations":[{"name":"checkin","roles":["health-staff"]}]}""", "nameEn: missing")]
    [InlineData("""{"id":"other","nameEn":"A","nameJa":"あ","operations":[{"name":"checkin","roles":["health-staff"]}]}""", "id 'other' differs from the master data key 'checkup'")]
    [InlineData("""["not an object"]""", "the definition must be a JSON object")]
    [InlineData("""{"id":"checkup",""", "not valid JSON")]
    public void Invalid_definitions_are_refused_with_the_problem_and_where_it_is(string json, string expected)
    {
        var error = Assert.Throws<AttendanceDefinitionException>(() => AttendanceDefinition.Parse("checkup", json));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("Attendance definition 'checkup' is invalid: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("municipal-checkup-2026", "is not a valid service id")]
    [InlineData("健康", "is not a valid service id")]
    [InlineData("library", "is a built-in service")]
    public void Service_ids_follow_the_card_rules_and_may_not_take_a_built_in_id(string id, string expected)
    {
        var json = $$"""{"id":"{{id}}","nameEn":"A","nameJa":"あ","operations":[{"name":"checkin","roles":["health-staff"]}]}""";

        var error = Assert.Throws<AttendanceDefinitionException>(() => AttendanceDefinition.Parse(id, json));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_of_a_definition_is_reported_at_once()
    {
        var error = Assert.Throws<AttendanceDefinitionException>(() => AttendanceDefinition.Parse("x",
            """{"id":"x","nameEn":"","operations":[{"name":"in","roles":["nurse"],"fields":[{"name":"a","type":"Blob"}]}]}"""));

        Assert.Equal(4, error.Problems.Count);
    }
}
