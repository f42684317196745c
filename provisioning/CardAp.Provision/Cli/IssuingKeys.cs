using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using CardAp.Card.Application;
using CardAp.Shared.Domain;

namespace CardAp.Provision.Cli;

/// <summary>
/// The municipalities' issuing keys as `municipality create` leaves them in the keys folder:
/// &lt;code&gt;-&lt;version&gt;.key, encrypted with the passphrase. Writing a card needs one; the newest
/// version in the folder is used.
/// </summary>
public static class IssuingKeys
{
    public static Option<DirectoryInfo> KeysFolder() => new("--keys")
    {
        Description = "The folder of issuing keys (kept by central IT), as `municipality create` wrote it: <code>-01.key (encrypted with the passphrase).",
        Required = true,
    };

    /// <summary>Opens the newest issuing key of <paramref name="municipality"/> in <paramref name="folder"/>.</summary>
    public static IssuingKey Open(DirectoryInfo folder, MunicipalityCode municipality, string passphrase)
    {
        var newest = Versions(folder, municipality).DefaultIfEmpty(0).Max();
        if (newest == 0)
        {
            throw ProvisionException.Environment("NoIssuingKey",
                $"There is no issuing key of municipality {municipality} ({municipality}-01.key) in {folder.FullName}. Give the folder `municipality create` wrote with --keys. Nothing was changed.",
                $"{folder.FullName} に市町村 {municipality} の発行鍵（{municipality}-01.key）がありません。`municipality create` で作成したフォルダを --keys で指定してください。変更は行われていません。");
        }
        var reference = new IssuerReference(municipality, newest);
        using var ecdsa = ProtectedKeys.ReadECDsa(Path.Combine(folder.FullName, $"{reference}.key"), passphrase);
        try
        {
            return IssuingKey.Import(reference, ecdsa.ExportPkcs8PrivateKey());
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw ProvisionException.Refused("BadIssuingKey", $"{reference}.key is not a P-256 issuing key: {e.Message}", $"{reference}.key は P-256 の発行鍵ではありません: {e.Message}", e);
        }
    }

    private static IEnumerable<int> Versions(DirectoryInfo folder, MunicipalityCode municipality)
    {
        if (!folder.Exists)
        {
            yield break;
        }
        foreach (var file in folder.EnumerateFiles($"{municipality}-??.key"))
        {
            var version = file.Name.AsSpan(municipality.Value.Length + 1, 2);
            if (int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed > 0)
            {
                yield return parsed;
            }
        }
    }
}
