using CardAp.Edge.Backup;
using CardAp.Edge.Store;
using CardAp.Edge.Tests.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace CardAp.Edge.Tests.Backup;

internal static class BackupTestKit
{
    /// <summary>10:00:00 on 27 November 2026, Japan time.</summary>
    public static readonly DateTimeOffset Morning = new(2026, 11, 27, 10, 0, 0, TimeSpan.FromHours(9));

    public static BackupService Service(TempStore store, TimeProvider clock) =>
        new(store.Database, Microsoft.Extensions.Options.Options.Create(store.Options), clock, NullLogger<BackupService>.Instance);

    /// <summary>Opens a copy of a backup as an edge database (the backup itself stays untouched).</summary>
    public static EdgeDatabase OpenCopy(TempStore store, string backupPath, string name)
    {
        var copy = Path.Combine(store.Root, name);
        File.Copy(backupPath, copy);
        return new EdgeDatabase(new EdgeStoreOptions { DatabasePath = copy, TerminalId = store.Options.TerminalId });
    }

    public static void Corrupt(string path)
    {
        var bytes = File.ReadAllBytes(path);
        for (var i = 4096; i < bytes.Length; i++)
        {
            bytes[i] = 0x55;
        }
        File.WriteAllBytes(path, bytes);
    }
}
