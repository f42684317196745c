using CardAp.Edge.Api;
using CardAp.Edge.Enrolment;
using CardAp.Edge.Store;
using CardAp.Edge.Tests.Integration;
using CardAp.Shared.Enrolment;

namespace CardAp.Provision.Tests;

/// <summary>
/// Central IT's first day, through cardap-provision run as a process: a hub CA, the hub on loopback
/// with its server certificate, an administrator, a municipality with its issuing key, a terminal
/// enrolled; the edge imports the bundle once and syncs with the hub; the terminal retired is refused.
/// </summary>
public sealed class ProvisionEndToEndTests : ProvisionHubTest
{
    [Fact]
    public async Task A_municipality_and_an_enrolled_terminal_come_to_life_and_a_retired_terminal_is_refused()
    {
        var created = await ProvisionAsync(["municipality", "create", "--municipality", "131016", "--name", "千代田区", "--keys", Path.Combine(Root, "keys"), .. Hub(), "--json"]);
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal("131016-01", (string)created.Json!["issuerKey"]!);
        var listed = await ProvisionAsync(["municipality", "list", .. Hub(), "--json"]);
        Assert.Equal(["131016"], listed.Json!["municipalities"]!.AsArray().Select(m => (string)m!));

        var bundle = Path.Combine(Root, "T001.cardap-enrol");
        var enrolled = await ProvisionAsync(["terminal", "enroll", "--municipality", "131016", "--id", "T001", "--site", "honcho", "--service", "library", "--service", "points",
            "--ca", Ca, "--out", bundle, .. Hub(), "--json"]);
        Assert.True(enrolled.ExitCode == 0, enrolled.ToString());
        var code = (string)enrolled.Json!["code"]!;
        Assert.Equal("131016-T001", (string)enrolled.Json["terminal"]!);

        // At the terminal: the bundle opens once, with its code, and the edge starts as that terminal and syncs.
        var terminal = Directory.CreateDirectory(Path.Combine(Root, "terminal")).FullName;
        Assert.Equal("WrongCodeOrChanged", Assert.Throws<EnrolmentBundleException>(() => EnrolCommand.Import(bundle, EnrolmentCode.New(), terminal, [])).Reason);
        Assert.Equal("OtherTerminal", Assert.Throws<EnrolmentBundleException>(() => EnrolCommand.Import(bundle, code, terminal, ["--Store:TerminalId=131016-T009"])).Reason);
        Assert.Equal("131016-T001", EnrolCommand.Import(bundle, code, terminal, []).TerminalId);
        Assert.Equal("AlreadyEnrolled", Assert.Throws<EnrolmentBundleException>(() => EnrolCommand.Import(bundle, code, terminal, [])).Reason);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(terminal, "enrolment", "terminal.key")));
        }

        await using (var edge = await EdgeHost.StartAsync(Path.Combine(terminal, "data"), TimeProvider.System, new Dictionary<string, string?> { ["Edge:Readers"] = "Virtual" }, enrolledIn: terminal))
        {
            var sync = await edge.Client.SyncNowAsync(new SyncNowRequest(), cancellationToken: Cancel);
            Assert.True(sync.Succeeded, sync.MessageEn);
            Assert.NotNull(edge.Get<MasterData>().GetJson("issuerKey", "131016-01"));

            Assert.Equal(0, (await ProvisionAsync(["terminal", "retire", "--municipality", "131016", "--id", "T001", .. Hub()])).ExitCode);
            var refused = await edge.Client.SyncNowAsync(new SyncNowRequest(), cancellationToken: Cancel);
            Assert.False(refused.Succeeded);
        }
    }

    [Fact]
    public async Task A_wrong_passphrase_an_unreachable_hub_and_a_bad_code_end_with_their_exit_codes_and_change_nothing()
    {
        await File.WriteAllTextAsync(PassphraseFile, "not the passphrase at all", Cancel);
        var wrong = await ProvisionAsync(["municipality", "create", "--municipality", "131016", "--name", "千代田区", "--keys", Path.Combine(Root, "keys"), .. Hub()]);
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("passphrase", wrong.Error, StringComparison.Ordinal);
        Assert.Contains("パスフレーズ", wrong.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Root, "keys")));

        await File.WriteAllTextAsync(PassphraseFile, Passphrase, Cancel);
        var unreachable = await ProvisionAsync(["municipality", "list", "--hub", "https://127.0.0.1:1", .. Hub()[2..], "--json"]);
        Assert.Equal(3, unreachable.ExitCode);
        Assert.Equal("HubUnreachable", (string)unreachable.Json!["reason"]!);

        var badCode = await ProvisionAsync(["municipality", "create", "--municipality", "131017", "--name", "x", "--keys", Path.Combine(Root, "keys"), .. Hub()]);
        Assert.Equal(2, badCode.ExitCode);
        Assert.Contains("--municipality", badCode.Error, StringComparison.Ordinal);

        Assert.Equal(1, (await ProvisionAsync("terminal", "enroll", "--no-such-option")).ExitCode);
    }
}
