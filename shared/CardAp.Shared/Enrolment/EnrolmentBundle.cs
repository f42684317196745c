using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CardAp.Shared.Enrolment;

/// <summary>
/// What a terminal needs to join its hub, made by central IT (`cardap-provision terminal enroll`)
/// and imported once by the edge (`cardap-edge --enroll`): its identity, its client certificate
/// and private key, the hub's address and CA, first settings and, for sites without a network, a
/// first master-data snapshot. The payload is sealed with AES-256-GCM under a key derived from a
/// one-time enrolment code (PBKDF2-SHA256) that travels separately from the file, so the file alone
/// gives nobody the terminal's key, and any change to it (payload or header) is detected.
/// </summary>
public static class EnrolmentBundle
{
    public const string Format = "cardap-enrolment/1";
    private const int SaltBytes = 16;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int Iterations = 310_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    /// <summary>Seals <paramref name="payload"/> under <paramref name="code"/> (see <see cref="EnrolmentCode"/>); returns the file's bytes.</summary>
    public static byte[] Seal(EnrolmentPayload payload, string code)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var header = new Header(Format, payload.Municipality, payload.TerminalId);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        var plain = JsonSerializer.SerializeToUtf8Bytes(payload, Json);
        var cipher = new byte[plain.Length];
        var tag = new byte[TagBytes];
        using (var aes = new AesGcm(Key(code, salt), TagBytes))
        {
            aes.Encrypt(nonce, plain, cipher, tag, header.AssociatedData());
        }
        CryptographicOperations.ZeroMemory(plain);
        return JsonSerializer.SerializeToUtf8Bytes(new Envelope(header.Format, header.Municipality, header.Terminal,
            Convert.ToBase64String(salt), Convert.ToBase64String(nonce), Convert.ToBase64String(cipher), Convert.ToBase64String(tag)), Json);
    }

    /// <summary>Who the bundle is for, readable without the code (to name it in messages).</summary>
    /// <exception cref="EnrolmentBundleException">The file is not an enrolment bundle.</exception>
    public static (string Municipality, string TerminalId) Peek(ReadOnlySpan<byte> file)
    {
        var envelope = Read(file);
        return (envelope.Municipality, envelope.Terminal);
    }

    /// <summary>Opens a bundle with its enrolment code.</summary>
    /// <exception cref="EnrolmentBundleException">Not a bundle, the wrong code, or a changed file (the two cannot be told apart, by design).</exception>
    public static EnrolmentPayload Open(ReadOnlySpan<byte> file, string code)
    {
        var envelope = Read(file);
        byte[] salt, nonce, cipher, tag;
        try
        {
            (salt, nonce, cipher, tag) = (Convert.FromBase64String(envelope.Salt), Convert.FromBase64String(envelope.Nonce),
                Convert.FromBase64String(envelope.Ciphertext), Convert.FromBase64String(envelope.Tag));
        }
        catch (FormatException)
        {
            throw Unreadable("a field is not base64");
        }
        if (salt.Length != SaltBytes || nonce.Length != NonceBytes || tag.Length != TagBytes)
        {
            throw Unreadable("a field has the wrong length");
        }
        var plain = new byte[cipher.Length];
        try
        {
            using var aes = new AesGcm(Key(code, salt), TagBytes);
            aes.Decrypt(nonce, cipher, tag, plain, new Header(envelope.Format, envelope.Municipality, envelope.Terminal).AssociatedData());
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new EnrolmentBundleException("WrongCodeOrChanged",
                "The enrolment bundle could not be opened: the enrolment code is wrong, or the file was changed after central IT made it. Check the code; if it is right, ask central IT for a new bundle.",
                "登録パッケージを開けませんでした。登録コードが誤っているか、作成後にファイルが変更されています。コードを確認し、正しい場合は中央IT部門に新しいパッケージを依頼してください。");
        }
        EnrolmentPayload? payload;
        try
        {
            payload = JsonSerializer.Deserialize<EnrolmentPayload>(plain, Json);
        }
        catch (JsonException e)
        {
            throw Unreadable(e.Message);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
        if (payload is null || payload.TerminalId != envelope.Terminal || payload.Municipality != envelope.Municipality)
        {
            throw Unreadable("the sealed identity does not match the header");
        }
        return payload;
    }

    private static Envelope Read(ReadOnlySpan<byte> file)
    {
        Envelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize<Envelope>(file, Json);
        }
        catch (JsonException)
        {
            envelope = null;
        }
        if (envelope is null || envelope.Format != Format || string.IsNullOrEmpty(envelope.Terminal) || string.IsNullOrEmpty(envelope.Municipality)
            || envelope.Salt is null || envelope.Nonce is null || envelope.Ciphertext is null || envelope.Tag is null)
        {
            throw Unreadable($"not a {Format} file");
        }
        return envelope;
    }

    private static byte[] Key(string code, byte[] salt) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(EnrolmentCode.Normalize(code)), salt, Iterations, HashAlgorithmName.SHA256, 32);

    private static EnrolmentBundleException Unreadable(string why) => new("NotABundle",
        $"This file is not a CardAp enrolment bundle ({why}). Use the .cardap-enrol file central IT made for this terminal.",
        $"このファイルはCardApの登録パッケージではありません（{why}）。中央IT部門がこの端末用に作成した .cardap-enrol ファイルを使用してください。");

    private sealed record Header(string Format, string Municipality, string Terminal)
    {
        // The header is bound into the seal: a bundle relabelled for another terminal does not open.
        public byte[] AssociatedData() => Encoding.UTF8.GetBytes($"{Format}\n{Municipality}\n{Terminal}");
    }

    private sealed record Envelope(string Format, string Municipality, string Terminal, string Salt, string Nonce, string Ciphertext, string Tag);
}

/// <summary>The sealed content of an enrolment bundle. PEM texts; <see cref="Settings"/> are configuration keys for the edge.</summary>
public sealed record EnrolmentPayload(
    string Municipality,
    string TerminalId,
    string HubAddress,
    string HubCaCertificatePem,
    string CertificatePem,
    string PrivateKeyPem,
    IReadOnlyDictionary<string, string>? Settings = null,
    string? MasterSnapshotJson = null,
    DateTimeOffset? CreatedAt = null);

/// <summary>An enrolment bundle that cannot be used, with the reason in words for the installer (English and Japanese).</summary>
public sealed class EnrolmentBundleException(string reason, string messageEn, string messageJa) : Exception(messageEn)
{
    public string Reason { get; } = reason;

    public string MessageJa { get; } = messageJa;
}
