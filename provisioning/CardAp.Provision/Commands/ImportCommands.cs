using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Hub.Api;
using CardAp.Hub.Errors;
using CardAp.Hub.Extensions;
using CardAp.Provision.Cli;
using Google.Protobuf;
using Grpc.Core;

namespace CardAp.Provision.Commands;

/// <summary>
/// `import`: the hub's differential import (差分登録) of residents' service registrations from the
/// resident information system's CSV export (docs/import.md). A dry run unless --apply; a file with
/// bad rows is never applied. The hub plans and applies a whole file in one call, so the phases shown
/// are the ones there are: reading the file here, the hub's check (dry run), the hub's apply.
/// </summary>
public static class ImportCommands
{
    /// <summary>How many bad rows the text output lists; --json lists every one.</summary>
    public const int ListedBadRows = 200;

    // As the sync engine does: a CSV shrinks several times under gzip, which matters over LGWAN.
    private static readonly Metadata Gzip = new() { { "grpc-internal-encoding-request", "gzip" } };

    public static Command Create(HubOptions hub)
    {
        var municipality = CommonOptions.Municipality();
        var file = new Option<FileInfo>("--file")
        {
            Description = "The registrations CSV: the resident information system's full current export for the municipality (UTF-8 or Shift_JIS; columns in docs/import.md).",
            Required = true,
        };
        var apply = new Option<bool>("--apply") { Description = "Apply the plan (one transaction at the hub). Without it the command is a dry run and changes nothing." };
        var registrations = new Command("registrations",
            "Differential import of residents' service registrations (差分登録). The file is the full current export: rows the hub lacks are added, rows that differ are changed, " +
            "registrations the file no longer lists are removed. By default a dry run that shows the plan and the bad rows (line and reason); --apply then applies it in one transaction. " +
            "A file with any bad row is never applied (exit 2): fix the rows in the source system and run again. Exit 3 when the file cannot be read or the hub cannot be reached.\n" +
            "Example: cardap-provision import registrations --municipality 131016 --file registrations.csv --hub https://hub:5001   (then again with --apply)")
        {
            municipality, file, apply,
        };
        foreach (var option in hub.All)
        {
            registrations.Options.Add(option);
        }
        registrations.SetAction((result, cancellationToken) =>
        {
            var context = CommonOptions.Context(result);
            return context.RunAsync(() => ImportAsync(result, hub, context.Json, CaCommands.ParseMunicipality(result.GetValue(municipality)).Value,
                result.GetValue(file)!, result.GetValue(apply), cancellationToken));
        });

        return new Command("import", "Imports from the resident information system's exports into the hub.") { registrations };
    }

    private static async Task<CommandResult> ImportAsync(ParseResult result, HubOptions hub, bool json, string municipality, FileInfo file, bool apply, CancellationToken cancellationToken)
    {
        var progress = new Progress(enabled: !json, steps: apply ? 3 : 2);
        var bytes = await progress.PhaseAsync($"Reading {file.Name}", $"{file.Name} を読込中", () => ReadAsync(file, cancellationToken),
            read => $"{read.Length.ToString("N0", CultureInfo.InvariantCulture)} bytes");
        var request = new ImportRegistrationsRequest { Municipality = municipality, File = ByteString.CopyFrom(bytes), DryRun = true };
        EnsureFits(file, request);

        var (channel, admin) = hub.Connect(result, CaCommands.Passphrase(result));
        using (channel)
        {
            var plan = await progress.PhaseAsync("Uploading and checking against the hub's registrations (dry run)", "ハブへ送信し登録内容と照合中（ドライラン）",
                () => CallAsync(admin, request, file, applying: false, cancellationToken));
            var document = Report(municipality, file, bytes.Length, plan);
            var lines = new List<string>();
            if (plan.BadRows.Count > 0)
            {
                return BadRows(municipality, file, plan, document, lines, apply);
            }
            if (!apply)
            {
                lines.Add($"Dry run for municipality {municipality}, {file.Name} (read as {plan.Encoding}): {Counts(plan)}. Nothing was changed.");
                lines.Add($"ドライラン（市町村 {municipality}、{file.Name}、文字コード {plan.Encoding}）: {CountsJa(plan)}。まだ何も反映していません。");
                lines.Add(IsEmpty(plan)
                    ? "The hub already matches the file: there is nothing to apply. / ハブの登録内容はファイルと一致しています。反映するものはありません。"
                    : "To apply it: run the same command with --apply. / 反映するには、同じコマンドに --apply を付けて実行してください。");
                return new CommandResult(lines, document);
            }
            if (IsEmpty(plan))
            {
                lines.Add($"Municipality {municipality}: the hub already matches {file.Name} ({plan.Unchanged} unchanged); nothing was applied because there is nothing to apply.");
                lines.Add($"市町村 {municipality}: ハブの登録内容は {file.Name} と一致しています（変更なし {plan.Unchanged} 件）。反映するものはありません。");
                return new CommandResult(lines, document);
            }

            request.DryRun = false;
            var applied = await progress.PhaseAsync("Applying in one transaction", "一括反映中（1トランザクション）",
                () => CallAsync(admin, request, file, applying: true, cancellationToken));
            document = Report(municipality, file, bytes.Length, applied);
            document["planned"] = Counts(plan, new JsonObject());
            lines.Add($"Applied to municipality {municipality} from {file.Name} (read as {applied.Encoding}): {Counts(applied, past: true)}.");
            lines.Add($"市町村 {municipality} に {file.Name}（文字コード {applied.Encoding}）を反映しました: {CountsJa(applied, past: true)}。");
            if (Differs(plan, applied))
            {
                // The apply plans again in its own transaction; someone changed registrations in between.
                lines.Add($"Registrations changed at the hub since the dry run, so this differs from its plan ({Counts(plan)}); what is shown above is what was applied.");
                lines.Add($"ドライランの後にハブの登録内容が変更されたため、計画（{CountsJa(plan)}）と異なります。上記が実際に反映した内容です。");
            }
            return new CommandResult(lines, document);
        }
    }

    private static async Task<byte[]> ReadAsync(FileInfo file, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(file.FullName, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ProvisionException.Environment("FileUnreadable", $"The file {file.FullName} cannot be read: {e.Message} Check the path and permissions; nothing was sent to the hub.",
                $"ファイル {file.FullName} を読み込めません: {e.Message} パスと権限を確認してください。ハブには何も送信していません。", e);
        }
    }

    /// <summary>
    /// The hub takes one request of at most <see cref="HubServiceExtensions.MaxRequestBytes"/>, and the
    /// file cannot be sent in parts: it is the full export, and registrations missing from a part
    /// would be planned as removals.
    /// </summary>
    private static void EnsureFits(FileInfo file, ImportRegistrationsRequest request)
    {
        var size = request.CalculateSize();
        if (size > HubServiceExtensions.MaxRequestBytes)
        {
            throw TooLarge(file, size);
        }
    }

    private static ProvisionException TooLarge(FileInfo file, long size, Exception? inner = null)
    {
        var limit = Mebibytes(HubServiceExtensions.MaxRequestBytes);
        return ProvisionException.Refused("FileTooLarge",
            $"{file.Name} is {Mebibytes(size)} MiB; the hub takes at most {limit} MiB in one import. It cannot be sent in parts: the file is the full export, and registrations missing from a part would be removed. " +
            "Nothing was sent or changed. The hub's request limit (HubServiceExtensions.MaxRequestBytes) must be raised for a file this large.",
            $"{file.Name} は {Mebibytes(size)} MiB です。ハブが1回の取込で受け付けるのは {limit} MiB までです。ファイルは全件出力であり、分割すると含まれない登録が削除されるため、分割して送ることはできません。" +
            "何も送信・変更していません。このサイズのファイルを取り込むには、ハブの受信上限（HubServiceExtensions.MaxRequestBytes）の引き上げが必要です。", inner);
    }

    private static async Task<ImportRegistrationsReply> CallAsync(Admin.AdminClient admin, ImportRegistrationsRequest request, FileInfo file, bool applying, CancellationToken cancellationToken)
    {
        try
        {
            return await admin.ImportRegistrationsAsync(request, Gzip, cancellationToken: cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
        {
            // A hub with a smaller limit than this tool knows.
            throw TooLarge(file, request.CalculateSize(), e);
        }
        catch (RpcException e) when (applying && e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Internal
            && e.Trailers.GetValue(HubRefusal.ReasonTrailer) is null)
        {
            // The connection went while the hub was applying: it may have committed or not, never half.
            throw ProvisionException.Environment("ApplyOutcomeUnknown",
                $"The hub stopped answering while applying ({e.Status.Detail}). The import is all or nothing, so either all of it was applied or none. " +
                "Run the same command without --apply: if it shows nothing to apply, it went through; otherwise apply again.",
                $"反映中にハブからの応答が途絶えました（{e.Status.Detail}）。取込は全件一括のため、すべて反映されたか、何も反映されていないかのどちらかです。" +
                "--apply を付けずに同じコマンドを実行し、反映するものがなければ完了しています。あれば再度反映してください。", e);
        }
    }

    private static CommandResult BadRows(string municipality, FileInfo file, ImportRegistrationsReply plan, JsonObject document, List<string> lines, bool apply)
    {
        var count = plan.BadRows.Count;
        var en = $"{file.Name} has {count} bad row(s), so nothing was applied{(apply ? " (--apply was not carried out)" : string.Empty)}. Fix them in the resident information system's export and run again.";
        var ja = $"{file.Name} に不正な行が {count} 件あるため、何も反映していません{(apply ? "（--apply は実行していません）" : string.Empty)}。住民情報システムの出力で修正して再実行してください。";
        lines.Add($"Municipality {municipality}, {file.Name} (read as {plan.Encoding}): {count} bad row(s). The good rows would give {Counts(plan)}; removals are never planned while any row is bad.");
        lines.Add($"市町村 {municipality}、{file.Name}（文字コード {plan.Encoding}）: 不正な行 {count} 件。正しい行だけでは {CountsJa(plan)} となります（不正な行がある間は削除を計画しません）。");
        foreach (var row in plan.BadRows.Take(ListedBadRows))
        {
            lines.Add($"  line {row.Line}: {row.Problem}");
            lines.Add($"  {row.Line} 行目: {(row.ProblemJa.Length > 0 ? row.ProblemJa : row.Problem)}");
        }
        if (count > ListedBadRows)
        {
            lines.Add($"  ... and {count - ListedBadRows} more (--json lists every one). / ほか {count - ListedBadRows} 件（--json ですべて表示します）。");
        }
        return new CommandResult(lines, document, ProvisionException.Refused("BadRows", en, ja));
    }

    private static JsonObject Report(string municipality, FileInfo file, int bytes, ImportRegistrationsReply reply)
    {
        var document = new JsonObject
        {
            ["municipality"] = municipality,
            ["file"] = file.FullName,
            ["bytes"] = bytes,
            ["encoding"] = reply.Encoding,
            ["applied"] = reply.Applied,
        };
        Counts(reply, document);
        document["badRows"] = new JsonArray([.. reply.BadRows.Select(b => (JsonNode)new JsonObject { ["line"] = b.Line, ["problem"] = b.Problem, ["problemJa"] = b.ProblemJa })]);
        return document;
    }

    private static JsonObject Counts(ImportRegistrationsReply reply, JsonObject into)
    {
        into["adds"] = reply.Adds;
        into["changes"] = reply.Changes;
        into["removals"] = reply.Removals;
        into["unchanged"] = reply.Unchanged;
        return into;
    }

    private static string Counts(ImportRegistrationsReply reply, bool past = false) => past
        ? $"{reply.Adds} added, {reply.Changes} changed, {reply.Removals} removed, {reply.Unchanged} unchanged"
        : $"{reply.Adds} to add, {reply.Changes} to change, {reply.Removals} to remove, {reply.Unchanged} unchanged";

    private static string CountsJa(ImportRegistrationsReply reply, bool past = false) => past
        ? $"追加 {reply.Adds} 件、変更 {reply.Changes} 件、削除 {reply.Removals} 件、変更なし {reply.Unchanged} 件"
        : $"追加予定 {reply.Adds} 件、変更予定 {reply.Changes} 件、削除予定 {reply.Removals} 件、変更なし {reply.Unchanged} 件";

    private static bool IsEmpty(ImportRegistrationsReply plan) => plan.Adds == 0 && plan.Changes == 0 && plan.Removals == 0;

    private static bool Differs(ImportRegistrationsReply plan, ImportRegistrationsReply applied) =>
        (plan.Adds, plan.Changes, plan.Removals, plan.Unchanged) != (applied.Adds, applied.Changes, applied.Removals, applied.Unchanged);

    private static string Mebibytes(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>The phases of a long import on stderr, for people (not with --json): what it is waiting for and how long each took.</summary>
    private sealed class Progress(bool enabled, int steps)
    {
        private int _step;

        public async Task<T> PhaseAsync<T>(string en, string ja, Func<Task<T>> work, Func<T, string>? detail = null)
        {
            if (!enabled)
            {
                return await work();
            }
            _step++;
            await Console.Error.WriteAsync($"[{_step}/{steps}] {en} / {ja} ... ");
            var clock = Stopwatch.StartNew();
            try
            {
                var value = await work();
                var extra = detail is null ? string.Empty : detail(value) + ", ";
                await Console.Error.WriteLineAsync($"done / 完了 ({extra}{clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)");
                return value;
            }
            catch
            {
                await Console.Error.WriteLineAsync("stopped / 中断");
                throw;
            }
        }
    }
}
