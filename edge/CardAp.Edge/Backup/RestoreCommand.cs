using CardAp.Edge.Enrolment;
using CardAp.Edge.Store;
using Microsoft.Data.Sqlite;

namespace CardAp.Edge.Backup;

/// <summary>
/// `cardap-edge --restore &lt;backup.db&gt; [settings arguments]`: puts a backup back with the edge
/// stopped, through <see cref="BackupRestore.Restore"/>, so the restored database carries the
/// restore mark sync needs (a copy by hand loses it, and records written after the restore could
/// then reuse numbers the hub already holds). The database is the one the edge would open: the same
/// settings files (appsettings.json, enrolment.json in the content root), environment and
/// arguments, a relative Store:DatabasePath taken from the content root as the service does.
/// Exit codes: 0 restored, 1 usage or settings, 2 refused (nothing restored), 3 file system.
/// </summary>
public static class RestoreCommand
{
    public const string Name = "--restore";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            error.WriteLine($"cardap-edge {Name}: the backup file is missing.");
            error.WriteLine($"Usage: cardap-edge {Name} <backups/edge-yyyyMMdd-HHmmss.db> [--contentRoot <terminal folder>]  (stop the edge first)");
            return 1;
        }
        // The backup as the administrator typed it; the database as the edge resolves it.
        var backup = Path.GetFullPath(args[0]);
        string databasePath;
        try
        {
            databasePath = DatabasePath(args[1..]);
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            foreach (var failure in e.Failures)
            {
                error.WriteLine(failure);
            }
            error.WriteLine("設定に誤りがあるため復元できません（上記の設定項目を確認してください）。");
            return 1;
        }

        try
        {
            var result = BackupRestore.Restore(backup, databasePath);
            output.WriteLine($"Restored {result.BackupPath} to {result.DatabasePath} (terminal {result.TerminalId}; last transaction {result.LastTransactionSeq}, last audit entry {result.LastAuditSeq}).");
            output.WriteLine(result.PreviousDatabase is null
                ? "There was no database to replace."
                : $"The replaced database was kept as {result.PreviousDatabase}.");
            output.WriteLine("Start cardap-edge again. Before it sends anything, sync checks whether records written after this backup already reached the hub; if they did, it stops sending (RestoredBehindHub) and keeps the records here: call central IT.");
            output.WriteLine($"{result.BackupPath} を {result.DatabasePath} に復元しました（端末 {result.TerminalId}、最後の取引 {result.LastTransactionSeq}、最後の監査記録 {result.LastAuditSeq}）。");
            output.WriteLine(result.PreviousDatabase is null
                ? "置き換えたデータベースはありません。"
                : $"置き換えたデータベースは {result.PreviousDatabase} として残しています。");
            output.WriteLine("cardap-edge を再び起動してください。送信の前に、このバックアップ以降の記録が既に中央システムにあるかを同期が確認し、ある場合は送信を停止して記録を端末に保持します（RestoredBehindHub）。その場合は中央IT部門に連絡してください。");
            return 0;
        }
        catch (BackupException e)
        {
            error.WriteLine(e.Message);
            error.WriteLine($"復元できませんでした。データベースは変更されていません: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException)
        {
            error.WriteLine($"The restore of {backup} to {databasePath} failed on the file system: {e.Message}");
            error.WriteLine($"ファイル操作に失敗したため {backup} を {databasePath} に復元できませんでした: {e.Message}");
            return 3;
        }
    }

    /// <summary>The full path of the edge database the settings in <paramref name="configurationArgs"/> name.</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The store settings are invalid.</exception>
    internal static string DatabasePath(string[] configurationArgs)
    {
        var builder = WebApplication.CreateBuilder(configurationArgs);
        builder.AddEnrolmentSettings();
        var options = builder.Configuration.GetSection(EdgeStoreOptions.Section).Get<EdgeStoreOptions>() ?? new EdgeStoreOptions();
        EdgeStoreOptionsValidator.ThrowIfInvalid(options);
        return Path.GetFullPath(options.DatabasePath, builder.Environment.ContentRootPath);
    }
}
