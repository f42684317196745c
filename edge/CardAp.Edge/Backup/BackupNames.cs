using System.Globalization;
using CardAp.Card.Application;

namespace CardAp.Edge.Backup;

/// <summary>Backup file names: edge-yyyyMMdd-HHmmss.db in Japan time, with "-2", "-3"... when a second one starts within the same second.</summary>
internal static class BackupNames
{
    private const string Prefix = "edge-";
    private const string Extension = ".db";
    private const string Stamp = "yyyyMMdd-HHmmss";

    public const string Pattern = "edge-*.db";

    public static string FileName(DateTimeOffset japanTime, int counter) =>
        Prefix + japanTime.ToString(Stamp, CultureInfo.InvariantCulture) + (counter > 1 ? "-" + counter.ToString(CultureInfo.InvariantCulture) : string.Empty) + Extension;

    public static bool TryParse(string fileName, out DateTimeOffset createdAt, out int counter)
    {
        createdAt = default;
        counter = 1;
        if (!fileName.StartsWith(Prefix, StringComparison.Ordinal) || !fileName.EndsWith(Extension, StringComparison.Ordinal))
        {
            return false;
        }
        var body = fileName[Prefix.Length..^Extension.Length];
        if (body.Length > Stamp.Length)
        {
            if (body[Stamp.Length] != '-' || !int.TryParse(body.AsSpan(Stamp.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out counter) || counter < 2)
            {
                return false;
            }
            body = body[..Stamp.Length];
        }
        if (!DateTime.TryParseExact(body, Stamp, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return false;
        }
        createdAt = new DateTimeOffset(local, CardDates.JapanOffset);
        return true;
    }
}
