using System.Text.Json.Nodes;
using CardAp.Hub.Api;
using CardAp.Shared.Domain;

namespace CardAp.Provision.Tests;

/// <summary>
/// `cardap-provision tuning get|set|validate` against the real hub: what set writes, get shows with
/// defaults and ranges; a value the hub's rules refuse ends with exit 2, every problem named in
/// English and Japanese, and the row as it was; validate checks a file without writing.
/// </summary>
public sealed class TuningCommandTests : ProvisionHubTest
{
    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var (channel, admin) = Admin();
        using (channel)
        {
            await admin.AddMunicipalityAsync(new AddMunicipalityRequest { Municipality = "131016", Name = "千代田区" }, cancellationToken: Cancel);
        }
    }

    [Fact]
    public async Task Set_then_get_round_trips_and_a_later_set_keeps_what_it_does_not_change()
    {
        var untuned = await ProvisionAsync(["tuning", "get", "--municipality", "131016", "--service", "library", .. Hub()]);
        Assert.True(untuned.ExitCode == 0, untuned.ToString());
        Assert.Contains("no tuning row", untuned.Output, StringComparison.Ordinal);
        Assert.Contains("loanLimit = 10 (default; integer 1..100)", untuned.Output, StringComparison.Ordinal);
        Assert.Contains("一人が同時に借りられる資料の冊数", untuned.Output, StringComparison.Ordinal);

        var set = await ProvisionAsync(["tuning", "set", "--municipality", "131016", "--service", "library",
            "--setting", "loanLimit=5", "--setting", "loanPeriodDays=21", "--kiosk", "renew=false", "--offline", "checkout=onlineonly", .. Hub(), "--json"]);
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.True((bool)set.Json!["changed"]!);

        var stored = await TuningRowAsync("library");
        Assert.NotNull(stored);
        Assert.Equal("5", (string)stored.Payload["settings"]!["loanLimit"]!);
        Assert.Equal("OnlineOnly", (string)stored.Payload["offline"]!["checkout"]!);
        Assert.False((bool)stored.Payload["kiosk"]!["renew"]!);

        var get = await ProvisionAsync(["tuning", "get", "--municipality", "131016", "--service", "library", .. Hub(), "--json"]);
        Assert.True(get.ExitCode == 0, get.ToString());
        var shown = get.Json!;
        Assert.True(JsonNode.DeepEquals(stored.Payload, shown["row"]));
        Assert.Equal(stored.ChangeSeq, (long)shown["changeSeq"]!);
        var settings = shown["settings"]!.AsArray().ToDictionary(s => (string)s!["name"]!, s => s!.AsObject());
        Assert.Equal(("5", true, "10", 1L, 100L), ((string)settings["loanLimit"]["value"]!, (bool)settings["loanLimit"]["tuned"]!, (string)settings["loanLimit"]["default"]!,
            (long)settings["loanLimit"]["min"]!, (long)settings["loanLimit"]["max"]!));
        Assert.Equal(("1", false), ((string)settings["renewalLimit"]["value"]!, (bool)settings["renewalLimit"]["tuned"]!));
        var operations = shown["operations"]!.AsArray().ToDictionary(o => (string)o!["name"]!, o => o!.AsObject());
        Assert.Equal("OnlineOnly", (string)operations["checkout"]["offline"]!);
        Assert.False((bool)operations["renew"]["kiosk"]!);
        Assert.True((bool)operations["return"]["kiosk"]!);

        var text = await ProvisionAsync(["tuning", "get", "--municipality", "131016", "--service", "library", .. Hub()]);
        Assert.Contains("loanLimit = 5 (default 10; integer 1..100)", text.Output, StringComparison.Ordinal);

        // The same values again write nothing; a later change keeps the rest of the row.
        var same = await ProvisionAsync(["tuning", "set", "--municipality", "131016", "--service", "library", "--setting", "loanLimit=5", .. Hub(), "--json"]);
        Assert.False((bool)same.Json!["changed"]!);
        Assert.Equal(stored, await TuningRowAsync("library"));
        var disable = await ProvisionAsync(["tuning", "set", "--municipality", "131016", "--service", "library", "--enabled", "false", .. Hub()]);
        Assert.True(disable.ExitCode == 0, disable.ToString());
        Assert.Contains("enabled: (default / 既定値) -> false", disable.Output, StringComparison.Ordinal);
        var disabled = (await TuningRowAsync("library"))!.Payload;
        Assert.False((bool)disabled["enabled"]!);
        Assert.Equal("5", (string)disabled["settings"]!["loanLimit"]!);
        Assert.Equal("21", (string)disabled["settings"]!["loanPeriodDays"]!);
    }

    [Fact]
    public async Task A_value_the_rules_refuse_ends_with_exit_2_naming_each_problem_and_leaves_the_row_as_it_was()
    {
        Assert.Equal(0, (await ProvisionAsync(["tuning", "set", "--municipality", "131016", "--service", "library", "--setting", "loanLimit=5", .. Hub()])).ExitCode);
        var before = await TuningRowAsync("library");
        var calls = HubHost.Counter.Calls;

        var outOfRange = await ProvisionAsync(["tuning", "set", "--municipality", "131016", "--service", "library", "--setting", "loanLimit=500", "--setting", "loanPeriodDays=21", .. Hub()]);
        Assert.Equal(2, outOfRange.ExitCode);
        Assert.Contains("settings.loanLimit: loanLimit must be a whole number from 1 to 100, got '500'.", outOfRange.Output, StringComparison.Ordinal);
        Assert.Contains("loanLimit は 1 から 100 までの整数で指定してください", outOfRange.Output, StringComparison.Ordinal);
        Assert.Contains("the row stays as it was", outOfRange.Error, StringComparison.Ordinal);
        Assert.Contains("現在の設定は変わっていません", outOfRange.Error, StringComparison.Ordinal);

        var json = await ProvisionAsync(["tuning", "set", "--municipality", "131016", "--service", "points",
            "--offline", "redeem=Allowed", "--kiosk", "accrue=true", "--setting", "noSuchSetting=1", .. Hub(), "--json"]);
        Assert.Equal(2, json.ExitCode);
        Assert.False((bool)json.Json!["ok"]!);
        Assert.Equal("InvalidTuning", (string)json.Json["reason"]!);
        var problems = json.Json["problems"]!.AsArray();
        Assert.Equal(["settings.noSuchSetting", "offline.redeem", "kiosk.accrue"], problems.Select(p => (string)p!["field"]!));
        Assert.All(problems, p => Assert.False(string.IsNullOrEmpty((string)p!["messageJa"]!)));

        // Refused here, by the hub's own rules: each command only read the current row, and nothing changed.
        Assert.Equal(calls + 2, HubHost.Counter.Calls);
        Assert.Equal(before, await TuningRowAsync("library"));
        Assert.Null(await TuningRowAsync("points"));
    }

    [Fact]
    public async Task Validate_checks_a_file_without_writing_and_bad_usage_ends_with_exit_1()
    {
        var good = Path.Combine(Root, "good.json");
        await File.WriteAllTextAsync(good, """{"id":"library","settings":{"loanLimit":"5"},"kiosk":{"renew":false}}""", Cancel);
        var valid = await ProvisionAsync("tuning", "validate", "--file", good, "--json");
        Assert.True(valid.ExitCode == 0, valid.ToString());
        Assert.True((bool)valid.Json!["valid"]!);

        var bad = Path.Combine(Root, "bad.json");
        await File.WriteAllTextAsync(bad, """{"id":"library","settings":{"loanLimit":5},"Enabled":true}""", Cancel);
        var invalid = await ProvisionAsync("tuning", "validate", "--file", bad);
        Assert.Equal(2, invalid.ExitCode);
        Assert.Contains("must be written as a string, e.g. \"5\"", invalid.Output, StringComparison.Ordinal);
        Assert.Contains("値は文字列で指定してください", invalid.Output, StringComparison.Ordinal);
        Assert.Contains("write this property as 'enabled'", invalid.Output, StringComparison.Ordinal);

        Assert.Equal(3, (await ProvisionAsync("tuning", "validate", "--file", Path.Combine(Root, "missing.json"))).ExitCode);
        await File.WriteAllTextAsync(bad, "{ not json", Cancel);
        Assert.Equal(2, (await ProvisionAsync("tuning", "validate", "--file", bad)).ExitCode);

        // A municipality's own attendance service is checked against its definition at the hub.
        var (channel, admin) = Admin();
        using (channel)
        {
            await admin.PutMasterAsync(new PutMasterRequest
            {
                Municipality = "131016",
                Kind = MasterKinds.AttendanceDefinition,
                Key = "kenshin",
                PayloadJson = """{"nameEn":"Health check-up","nameJa":"健康診断","operations":[{"name":"attend","kioskAllowed":false}]}""",
            }, cancellationToken: Cancel);
        }
        var attendance = Path.Combine(Root, "kenshin.json");
        await File.WriteAllTextAsync(attendance, """{"id":"kenshin","kiosk":{"attend":true}}""", Cancel);
        Assert.Equal(1, (await ProvisionAsync("tuning", "validate", "--file", attendance)).ExitCode);
        var kiosk = await ProvisionAsync(["tuning", "validate", "--file", attendance, "--municipality", "131016", .. Hub()]);
        Assert.Equal(2, kiosk.ExitCode);
        Assert.Contains("kiosk.attend: kenshin.attend may not be used at a kiosk", kiosk.Output, StringComparison.Ordinal);
        var shown = await ProvisionAsync(["tuning", "get", "--municipality", "131016", "--service", "kenshin", .. Hub()]);
        Assert.True(shown.ExitCode == 0, shown.ToString());
        Assert.Contains("健康診断", shown.Output, StringComparison.Ordinal);
        Assert.Contains("attend: offline Allowed", shown.Output, StringComparison.Ordinal);
        Assert.Null(await TuningRowAsync("kenshin"));

        Assert.Equal(1, (await ProvisionAsync(["tuning", "set", "--municipality", "131016", "--service", "library", "--setting", "loanLimit", .. Hub()])).ExitCode);
        Assert.Equal(1, (await ProvisionAsync(["tuning", "set", "--municipality", "131016", "--service", "library", .. Hub()])).ExitCode);
        Assert.Equal(2, (await ProvisionAsync(["tuning", "get", "--municipality", "131016", "--service", "nosuch", .. Hub()])).ExitCode);
    }

    private sealed record Row(JsonObject Payload, long ChangeSeq)
    {
        public bool Equals(Row? other) => other is not null && ChangeSeq == other.ChangeSeq && JsonNode.DeepEquals(Payload, other.Payload);

        public override int GetHashCode() => ChangeSeq.GetHashCode();
    }

    private async Task<Row?> TuningRowAsync(string service)
    {
        var (channel, admin) = Admin();
        using (channel)
        {
            var rows = await admin.ListMasterAsync(new ListMasterRequest { Municipality = "131016", Kind = MasterKinds.ServiceTuning }, cancellationToken: Cancel);
            return rows.Rows.FirstOrDefault(r => r.Key == service) is { } row ? new Row(JsonNode.Parse(row.PayloadJson)!.AsObject(), row.ChangeSeq) : null;
        }
    }
}
