using System.Security.Cryptography;

namespace CardAp.Provision.Cli;

/// <summary>
/// Private keys at rest with central IT: PKCS#8 encrypted under a passphrase (AES-256-CBC, PBKDF2
/// with SHA-256), written owner-only, never overwritten. The passphrase comes from a file
/// (--passphrase-file) or the environment (CARDAP_PASSPHRASE), never the command line, so it stays
/// out of shell history and process lists.
/// </summary>
public static class ProtectedKeys
{
    public const string PassphraseVariable = "CARDAP_PASSPHRASE";
    private const int MinPassphraseLength = 12;
    private static readonly PbeParameters Protection = new(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 600_000);

    public static string Passphrase(FileInfo? file)
    {
        string? passphrase;
        try
        {
            passphrase = file is null ? Environment.GetEnvironmentVariable(PassphraseVariable) : File.ReadAllText(file.FullName).TrimEnd('\r', '\n');
        }
        catch (IOException e)
        {
            throw ProvisionException.Environment("PassphraseUnreadable", $"The passphrase file cannot be read: {e.Message}", $"パスフレーズファイルを読み込めません: {e.Message}", e);
        }
        if (string.IsNullOrEmpty(passphrase) || passphrase.Length < MinPassphraseLength)
        {
            throw ProvisionException.Refused("PassphraseMissing",
                $"A passphrase of at least {MinPassphraseLength} characters is needed: put it in a file given with --passphrase-file, or in {PassphraseVariable}.",
                $"{MinPassphraseLength}文字以上のパスフレーズが必要です。--passphrase-file で指定するファイルか、環境変数 {PassphraseVariable} に設定してください。");
        }
        return passphrase;
    }

    public static void Write(string path, AsymmetricAlgorithm key, string passphrase)
    {
        ArgumentNullException.ThrowIfNull(key);
        var pem = key.ExportEncryptedPkcs8PrivateKeyPem(passphrase, Protection);
        WriteNew(path, pem, ownerOnly: true);
    }

    /// <summary>Reads an encrypted key as ECDsa (the hub CA and issuing keys are P-256).</summary>
    public static ECDsa ReadECDsa(string path, string passphrase)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ProvisionException.Environment("KeyUnreadable", $"The key file {path} cannot be read: {e.Message}", $"鍵ファイル {path} を読み込めません: {e.Message}", e);
        }
        var key = ECDsa.Create();
        try
        {
            key.ImportFromEncryptedPem(pem, passphrase);
            return key;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw ProvisionException.Refused("WrongPassphrase",
                $"The key {path} cannot be opened: the passphrase is wrong or the file is not an encrypted key. Nothing was changed.",
                $"鍵 {path} を開けません。パスフレーズが誤っているか、暗号化された鍵ファイルではありません。変更は行われていません。", e);
        }
    }

    /// <summary>Writes a new file; refuses to replace one (keys and certificates are never overwritten by accident).</summary>
    public static void WriteNew(string path, string text, bool ownerOnly = false) =>
        WriteNew(path, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text), ownerOnly);

    /// <summary>As <see cref="WriteNew(string, string, bool)"/> for a binary file (a PKCS#12).</summary>
    public static void WriteNew(string path, byte[] content, bool ownerOnly = false)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (ownerOnly && !OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using var stream = new FileStream(path, options);
            stream.Write(content);
        }
        catch (IOException e) when (File.Exists(path))
        {
            throw Exists(path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ProvisionException.Environment("NotWritable", $"{path} cannot be written: {e.Message}", $"{path} に書き込めません: {e.Message}", e);
        }
    }

    /// <summary>Refuses as <see cref="WriteNew(string, byte[], bool)"/> would when the file exists: checked before writing a set of files, so none is half written.</summary>
    public static void EnsureNew(string path)
    {
        if (File.Exists(path))
        {
            throw Exists(path, null);
        }
    }

    private static ProvisionException Exists(string path, Exception? inner) =>
        ProvisionException.Refused("FileExists", $"{path} exists already; it is never overwritten. Move it away first if it is to be replaced.",
            $"{path} は既に存在します。上書きはしません。置き換える場合は先に移動してください。", inner);
}
