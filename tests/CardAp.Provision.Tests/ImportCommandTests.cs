using System.Text;
using System.Text.Json.Nodes;
using CardAp.Hub.Api;
using CardAp.Hub.Extensions;
using CardAp.Hub.Import;
using CardAp.Shared.Domain;
using Google.Protobuf;

namespace CardAp.Provision.Tests;

/// <summary>
/// `cardap-provision import registrations` against the real hub: a dry run shows the plan and
/// changes nothing, --apply applies it, a file with bad rows is never applied, and a file the tool
/// cannot read or the hub cannot take ends with its exit code before anything is sent.
/// </summary>
public sealed class ImportCommandTests : ProvisionHubTest
{
    private const string Header = "市町村コード,カード番号,サービス,利用者番号,状態,登録日,氏名\r\n";

    // What the hub holds before each test: three registrations of two cards.
    private const string Before =
        Header +
        "131016,C-0001,library,L0001,利用中,2026/04/01,山田 太郎\r\n" +
        "131016,C-0001,points,P0001,利用中,2026/04/01,山田 太郎\r\n" +
        "131016,C-0002,library,L0002,停止,2026/05/10,\"佐藤, 花子\"\r\n";

    // Today's export: C-0001/library unchanged, C-0002/library changed, C-0003/shelter new, C-0001/points gone.
    private const string Today =
        Header +
        "131016,C-0001,library,L0001,利用中,2026/04/01,山田 太郎\r\n" +
        "131016,C-0002,library,L0022,利用中,2026/05/10,\"佐藤, 花子\"\r\n" +
        "131016,C-0003,shelter,S0003,利用中,2026/06/01,鈴木 一郎\r\n";

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var (channel, admin) = Admin();
        using (channel)
        {
            await admin.AddMunicipalityAsync(new AddMunicipalityRequest { Municipality = "131016", Name = "千代田区" }, cancellationToken: Cancel);
            var seeded = await admin.ImportRegistrationsAsync(new ImportRegistrationsRequest
            {
                Municipality = "131016",
                File = ByteString.CopyFrom(CsvText.Cp932.GetBytes(Before)),
            }, cancellationToken: Cancel);
            Assert.Equal(3, seeded.Adds);
        }
    }

    [Fact]
    public async Task A_dry_run_shows_the_plan_and_changes_nothing_and_apply_applies_it()
    {
        var file = await WriteAsync("today.csv", CsvText.Cp932.GetBytes(Today));
        var before = await RegistrationsAsync();

        var dry = await ProvisionAsync(["import", "registrations", "--municipality", "131016", "--file", file, .. Hub()]);
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains("1 to add, 1 to change, 1 to remove, 1 unchanged", dry.Output, StringComparison.Ordinal);
        Assert.Contains("追加予定 1 件、変更予定 1 件、削除予定 1 件、変更なし 1 件", dry.Output, StringComparison.Ordinal);
        Assert.Contains("Shift_JIS (CP932)", dry.Output, StringComparison.Ordinal);
        Assert.Contains("--apply", dry.Output, StringComparison.Ordinal);
        // The phases it went through, on stderr: reading here, then the hub's check.
        Assert.Contains("[1/2] Reading today.csv", dry.Error, StringComparison.Ordinal);
        Assert.Contains("[2/2] Uploading and checking", dry.Error, StringComparison.Ordinal);
        Assert.Equal(before, await RegistrationsAsync());

        var dryJson = await ProvisionAsync(["import", "registrations", "--municipality", "131016", "--file", file, .. Hub(), "--json"]);
        Assert.Equal(0, dryJson.ExitCode);
        Assert.Equal("", dryJson.Error);
        var plan = dryJson.Json!;
        Assert.True((bool)plan["ok"]!);
        Assert.False((bool)plan["applied"]!);
        Assert.Equal((1, 1, 1, 1), ((int)plan["adds"]!, (int)plan["changes"]!, (int)plan["removals"]!, (int)plan["unchanged"]!));
        Assert.Empty(plan["badRows"]!.AsArray());
        Assert.Equal(before, await RegistrationsAsync());

        var applied = await ProvisionAsync(["import", "registrations", "--municipality", "131016", "--file", file, "--apply", .. Hub(), "--json"]);
        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.True((bool)applied.Json!["applied"]!);
        Assert.Equal((1, 1, 1, 1), ((int)applied.Json["adds"]!, (int)applied.Json["changes"]!, (int)applied.Json["removals"]!, (int)applied.Json["unchanged"]!));
        var after = await RegistrationsAsync();
        Assert.Equal(["C-0001/library", "C-0002/library", "C-0003/shelter"], after.Keys);
        Assert.Equal("L0022", (string)JsonNode.Parse(after["C-0002/library"].PayloadJson)!["member"]!);
        Assert.Equal(before["C-0001/library"], after["C-0001/library"]);

        // The same file again: nothing left to do, and the text says so.
        var again = await ProvisionAsync(["import", "registrations", "--municipality", "131016", "--file", file, "--apply", .. Hub()]);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("nothing to apply", again.Output, StringComparison.Ordinal);
        Assert.Contains("反映するものはありません", again.Output, StringComparison.Ordinal);
        Assert.Equal(after, await RegistrationsAsync());
    }

    [Fact]
    public async Task A_file_with_bad_rows_ends_with_exit_2_names_each_line_in_english_and_japanese_and_applies_nothing()
    {
        var bad = Today
            + "131016,C-0004,library,L0004,maybe,2026/04/01,x\r\n"     // line 5: status
            + "131016,C-0005,library,L0005,利用中,2026/13/01,x\r\n"    // line 6: date
            + "131016,C-0003,shelter,S0099,利用中,2026/06/01,x\r\n";   // line 7: again
        var file = await WriteAsync("bad.csv", Encoding.UTF8.GetBytes(bad));
        var before = await RegistrationsAsync();

        var text = await ProvisionAsync(["import", "registrations", "--municipality", "131016", "--file", file, "--apply", .. Hub()]);
        Assert.Equal(2, text.ExitCode);
        Assert.Contains("line 5: status 'maybe'", text.Output, StringComparison.Ordinal);
        Assert.Contains("5 行目: 状態 'maybe'", text.Output, StringComparison.Ordinal);
        Assert.Contains("line 6: registered_on", text.Output, StringComparison.Ordinal);
        Assert.Contains("6 行目: 登録日", text.Output, StringComparison.Ordinal);
        Assert.Contains("first on line 4", text.Output, StringComparison.Ordinal);
        // What happened and what to do next, on stderr as for every refusal.
        Assert.Contains("nothing was applied", text.Error, StringComparison.Ordinal);
        Assert.Contains("何も反映していません", text.Error, StringComparison.Ordinal);
        // Two phases only: the apply never started.
        Assert.DoesNotContain("[3/3]", text.Error, StringComparison.Ordinal);
        Assert.Equal(before, await RegistrationsAsync());

        var json = await ProvisionAsync(["import", "registrations", "--municipality", "131016", "--file", file, "--apply", .. Hub(), "--json"]);
        Assert.Equal(2, json.ExitCode);
        Assert.False((bool)json.Json!["ok"]!);
        Assert.Equal("BadRows", (string)json.Json["reason"]!);
        Assert.False((bool)json.Json["applied"]!);
        var rows = json.Json["badRows"]!.AsArray();
        Assert.Equal([5, 6, 7], rows.Select(r => (int)r!["line"]!));
        Assert.All(rows, r => Assert.False(string.IsNullOrEmpty((string)r!["problemJa"]!)));
        // With a bad row, removals are held back even in the plan.
        Assert.Equal(0, (int)json.Json["removals"]!);
        Assert.Equal(before, await RegistrationsAsync());
    }

    [Fact]
    public async Task An_unreadable_file_an_unreachable_hub_and_a_file_too_large_for_the_hub_end_with_their_exit_codes_and_send_nothing()
    {
        var calls = HubHost.Counter.Calls;
        var missing = await ProvisionAsync(["import", "registrations", "--municipality", "131016", "--file", Path.Combine(Root, "no-such.csv"), .. Hub(), "--json"]);
        Assert.Equal(3, missing.ExitCode);
        Assert.Equal("FileUnreadable", (string)missing.Json!["reason"]!);

        var file = await WriteAsync("today.csv", Encoding.UTF8.GetBytes(Today));
        var unreachable = await ProvisionAsync(["import", "registrations", "--municipality", "131016", "--file", file, "--hub", "https://127.0.0.1:1", .. Hub()[2..]]);
        Assert.Equal(3, unreachable.ExitCode);
        Assert.Contains("ハブに接続できません", unreachable.Error, StringComparison.Ordinal);

        // A full export bigger than one hub request: refused here, since it cannot be split.
        var large = new StringBuilder(Header);
        for (var i = 0; large.Length < HubServiceExtensions.MaxRequestBytes; i++)
        {
            large.Append(System.Globalization.CultureInfo.InvariantCulture, $"131016,C-{i:D8},library,L{i:D8},利用中,2026/04/01,山田 太郎\r\n");
        }
        var tooLarge = await ProvisionAsync(["import", "registrations", "--municipality", "131016", "--file", await WriteAsync("large.csv", Encoding.UTF8.GetBytes(large.ToString())), .. Hub()]);
        Assert.Equal(2, tooLarge.ExitCode);
        Assert.Contains("at most 4.0 MiB", tooLarge.Error, StringComparison.Ordinal);
        Assert.Contains("分割して送ることはできません", tooLarge.Error, StringComparison.Ordinal);

        Assert.Equal(calls, HubHost.Counter.Calls);

        // A file the hub cannot read at all (an unknown column) is refused by the hub, saying why.
        var before = await RegistrationsAsync();
        var unusable = await ProvisionAsync(["import", "registrations", "--municipality", "131016", "--file",
            await WriteAsync("colour.csv", Encoding.UTF8.GetBytes("municipality,card_number,service,member_number,status,registered_on,colour\n")), "--apply", .. Hub(), "--json"]);
        Assert.Equal(2, unusable.ExitCode);
        Assert.Contains("unknown column 'colour'", (string)unusable.Json!["message"]!, StringComparison.Ordinal);
        Assert.Equal(before, await RegistrationsAsync());
    }

    private async Task<string> WriteAsync(string name, byte[] bytes)
    {
        var path = Path.Combine(Root, name);
        await File.WriteAllBytesAsync(path, bytes, Cancel);
        return path;
    }

    /// <summary>The hub's registrations of 131016 by key, straight from the admin API: payload and change sequence.</summary>
    private async Task<SortedDictionary<string, Stored>> RegistrationsAsync()
    {
        var (channel, admin) = Admin();
        using (channel)
        {
            var rows = await admin.ListMasterAsync(new ListMasterRequest { Municipality = "131016", Kind = MasterKinds.Registration }, cancellationToken: Cancel);
            return new SortedDictionary<string, Stored>(rows.Rows.ToDictionary(r => r.Key, r => new Stored(r.PayloadJson, r.ChangeSeq)), StringComparer.Ordinal);
        }
    }

    private sealed record Stored(string PayloadJson, long ChangeSeq);
}
