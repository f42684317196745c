using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CardAp.Card.Iso7816;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.Files;
using CardAp.VirtualCard.Security;
using CardAp.VirtualCard.State;
using static CardAp.VirtualCard.Applets.ApduResponses;

namespace CardAp.VirtualCard.Jpki;

/// <summary>
/// The part of the My Number card's JPKI application that OpenSC's JPKI driver uses, answering as
/// the real card does: certificate EFs read in 256-byte chunks after a 4-byte length probe, PIN EFs
/// whose VERIFY without data reports the retry counter as 63 Cx, and key EFs that sign a DigestInfo
/// with PKCS#1 v1.5 padding (<c>80 2A 00 80</c>) once their PIN is verified. Nothing here can be
/// written through the interface; the test authority personalises it.
/// </summary>
public sealed class JpkiApplet : IApplet
{
    private readonly TransparentFileSystem _files;
    private readonly RetryCounterPin _authenticationPin;
    private readonly RetryCounterPin _signingPin;
    private readonly JpkiCertificateSet _authentication;
    private readonly JpkiCertificateSet? _signing;
    private readonly RsaPkcs1Signer _authenticationSigner;
    private readonly RsaPkcs1Signer? _signingSigner;

    private bool _authenticationVerified;
    private bool _signingVerified;
    private long _version;

    /// <param name="authentication">User authentication (利用者証明用) certificate, its CA and key.</param>
    /// <param name="authenticationPin">4 ASCII digits, 3 tries.</param>
    /// <param name="signing">Signing (署名用) certificate, its CA and key; null for a card without one.</param>
    /// <param name="signingPin">6 to 16 characters A-Z 0-9, 5 tries; the PIN exists even without a signing certificate.</param>
    public JpkiApplet(JpkiCertificateSet authentication, string authenticationPin, JpkiCertificateSet? signing, string signingPin)
        : this(authentication,
               new RetryCounterPin(RequirePin(authenticationPin, IsAuthenticationPin, nameof(authenticationPin)), JpkiFiles.AuthenticationPinTries),
               signing,
               new RetryCounterPin(RequirePin(signingPin, IsSigningPin, nameof(signingPin)), JpkiFiles.SigningPinTries))
    {
    }

    private JpkiApplet(JpkiCertificateSet authentication, RetryCounterPin authenticationPin, JpkiCertificateSet? signing, RetryCounterPin signingPin)
    {
        _authentication = authentication;
        _signing = signing;
        _authenticationSigner = CreateSigner(authentication, nameof(authentication));
        _signingSigner = signing is null ? null : CreateSigner(signing, nameof(signing));
        _authenticationPin = authenticationPin;
        _signingPin = signingPin;

        var files = new List<ElementaryFile>
        {
            Fixed(JpkiFiles.TokenLabel, TokenLabelBytes(), AccessConditions.Always, "token label"),
            Fixed(JpkiFiles.AuthenticationCertificate, authentication.Certificate, AccessConditions.Always, "authentication certificate"),
            Fixed(JpkiFiles.AuthenticationCaCertificate, authentication.CaCertificate, AccessConditions.Always, "authentication CA certificate"),
            Secret(JpkiFiles.AuthenticationKey, "authentication key"),
            Secret(JpkiFiles.AuthenticationPin, "authentication PIN"),
            Secret(JpkiFiles.SigningKey, "signing key"),
            Secret(JpkiFiles.SigningPin, "signing PIN"),
        };
        if (signing is not null)
        {
            files.Add(Fixed(JpkiFiles.SigningCertificate, signing.Certificate, () => _signingVerified, "signing certificate"));
            files.Add(Fixed(JpkiFiles.SigningCaCertificate, signing.CaCertificate, AccessConditions.Always, "signing CA certificate"));
        }
        _files = new TransparentFileSystem(files);
    }

    public ReadOnlyMemory<byte> Aid => JpkiFiles.Aid;
    public string Name => "JPKI";
    public long PersistentStateVersion => _version;

    public TransparentFileSystem Files => _files;

    public JpkiCertificateSet Authentication => _authentication;
    public JpkiCertificateSet? Signing => _signing;

    public int AuthenticationPinTriesLeft => _authenticationPin.TriesLeft;
    public int SigningPinTriesLeft => _signingPin.TriesLeft;

    public void Select() => ClearSecurityState();

    public void Deselect() => ClearSecurityState();

    public void Reset() => ClearSecurityState();

    public ResponseApdu Process(CommandApdu command)
    {
        // The card takes its proprietary class only for the signature command, as OpenSC sends it.
        var expectedCla = command.Ins == Ins.PerformSecurityOperation ? 0x80 : 0x00;
        if (command.Cla != expectedCla)
        {
            return Status(StatusWord.ClassNotSupported);
        }
        return command.Ins switch
        {
            Ins.Select => _files.Select(command),
            Ins.ReadBinary => _files.ReadBinary(command),
            Ins.UpdateBinary => _files.UpdateBinary(command),
            Ins.EraseBinary => _files.EraseBinary(command),
            Ins.Verify => Verify(command),
            Ins.PerformSecurityOperation => ComputeSignature(command),
            _ => Status(StatusWord.InstructionNotSupported),
        };
    }

    public AppletState ExportState() => new JpkiAppletState(
        _authentication,
        new PinState(_authenticationPin.Value, _authenticationPin.MaxTries, _authenticationPin.TriesLeft),
        _signing,
        new PinState(_signingPin.Value, _signingPin.MaxTries, _signingPin.TriesLeft));

    /// <exception cref="VirtualCardStateException">The state is inconsistent (bad certificate, key or PIN).</exception>
    public static JpkiApplet FromState(JpkiAppletState state)
    {
        try
        {
            var authenticationPin = new RetryCounterPin(
                RequirePin(state.AuthenticationPin.Value, IsAuthenticationPin, "authentication PIN"), state.AuthenticationPin.MaxTries, state.AuthenticationPin.TriesLeft);
            var signingPin = new RetryCounterPin(
                RequirePin(state.SigningPin.Value, IsSigningPin, "signing PIN"), state.SigningPin.MaxTries, state.SigningPin.TriesLeft);
            return new JpkiApplet(state.Authentication, authenticationPin, state.Signing, signingPin);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new VirtualCardStateException($"JPKI applet state is invalid: {e.Message}", e);
        }
    }

    private void ClearSecurityState()
    {
        _authenticationVerified = false;
        _signingVerified = false;
        _files.ClearSelection();
    }

    /// <summary>
    /// VERIFY on the selected PIN EF. Without data it reports the counter as 63 Cx whatever the
    /// session state: OpenSC's driver insists on 63 for this query and tracks login state itself.
    /// A wrong PIN answers 63 Cx down to 63 C0; after that the PIN is blocked and VERIFY says 69 84.
    /// </summary>
    private ResponseApdu Verify(CommandApdu command)
    {
        if (command.P1 != 0x00 || command.P2 != 0x80)
        {
            return Status(StatusWord.IncorrectP1P2);
        }
        if (_files.Current is null)
        {
            return Status(StatusWord.CommandNotAllowedNoEf);
        }
        RetryCounterPin pin;
        Func<byte[], bool> isWellFormed;
        switch (_files.Current.Fid)
        {
            case JpkiFiles.AuthenticationPin:
                pin = _authenticationPin;
                isWellFormed = IsAuthenticationPin;
                break;
            case JpkiFiles.SigningPin:
                pin = _signingPin;
                isWellFormed = IsSigningPin;
                break;
            default:
                return Status(CommandIncompatibleWithFile);
        }
        if (command.Data.IsEmpty)
        {
            return Status(StatusWord.VerificationFailed(pin.TriesLeft));
        }
        if (pin.IsBlocked)
        {
            return Status(StatusWord.ReferenceDataNotUsable);
        }
        var candidate = command.Data.ToArray();
        if (!isWellFormed(candidate))
        {
            return Status(StatusWord.IncorrectParametersInData);
        }
        var before = pin.TriesLeft;
        var correct = pin.Check(candidate) == PinCheck.Correct;
        if (pin.TriesLeft != before)
        {
            _version++;
        }
        if (ReferenceEquals(pin, _authenticationPin))
        {
            _authenticationVerified = correct;
        }
        else
        {
            _signingVerified = correct;
        }
        return correct ? Ok() : Status(StatusWord.VerificationFailed(pin.TriesLeft));
    }

    /// <summary>COMPUTE DIGITAL SIGNATURE <c>80 2A 00 80 Lc DigestInfo 00</c> with the selected key EF.</summary>
    private ResponseApdu ComputeSignature(CommandApdu command)
    {
        if (command.P1 != 0x00 || command.P2 != 0x80)
        {
            return Status(StatusWord.IncorrectP1P2);
        }
        if (_files.Current is null)
        {
            return Status(StatusWord.CommandNotAllowedNoEf);
        }
        RsaPkcs1Signer? signer;
        bool verified;
        switch (_files.Current.Fid)
        {
            case JpkiFiles.AuthenticationKey:
                signer = _authenticationSigner;
                verified = _authenticationVerified;
                break;
            case JpkiFiles.SigningKey:
                signer = _signingSigner;
                verified = _signingVerified;
                break;
            default:
                return Status(CommandIncompatibleWithFile);
        }
        if (signer is null)
        {
            return Status(StatusWord.ReferenceDataNotFound);
        }
        if (!verified)
        {
            return Status(StatusWord.SecurityStatusNotSatisfied);
        }
        if (command.Data.IsEmpty || command.Data.Length > signer.MaxInputLength || command.Ne is null)
        {
            return Status(StatusWord.WrongLength);
        }
        if (command.Ne < signer.ModulusLength)
        {
            return WrongLe(signer.ModulusLength);
        }
        return Ok(signer.Sign(command.Data.Span));
    }

    private static ElementaryFile Fixed(ushort fid, byte[] content, AccessCondition read, string name)
    {
        var file = new ElementaryFile(fid, content.Length, read, AccessConditions.Never, name: name);
        file.Personalize(content);
        return file;
    }

    private static ElementaryFile Secret(ushort fid, string name) =>
        new(fid, 0, AccessConditions.Never, AccessConditions.Never, name: name);

    private static byte[] TokenLabelBytes()
    {
        var label = Encoding.ASCII.GetBytes(JpkiFiles.TokenLabelText.PadRight(JpkiFiles.TokenLabelLength, ' '));
        return label;
    }

    private static bool IsAuthenticationPin(byte[] pin) => IsAsciiDigits(pin, JpkiFiles.AuthenticationPinLength);

    private static bool IsSigningPin(byte[] pin) =>
        pin.Length is >= JpkiFiles.SigningPinMinLength and <= JpkiFiles.SigningPinMaxLength
        && Array.TrueForAll(pin, b => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'A' and <= (byte)'Z');

    private static string RequirePin(string pin, Func<byte[], bool> isWellFormed, string parameter)
    {
        ArgumentNullException.ThrowIfNull(pin, parameter);
        if (!isWellFormed(Encoding.ASCII.GetBytes(pin)) || !Ascii.IsValid(pin))
        {
            throw new ArgumentException($"The {parameter} does not have the JPKI PIN format.", parameter);
        }
        return pin;
    }

    /// <summary>
    /// Checks the set has the shape a card holds: DER certificates with a 30 82 header and an RSA-2048 key.
    /// Whether the key belongs to the certificate is deliberately not checked: a card does not check
    /// that either, and tests build cloned cards (copied certificate, different key) this way.
    /// </summary>
    private static RsaPkcs1Signer CreateSigner(JpkiCertificateSet set, string parameter)
    {
        ArgumentNullException.ThrowIfNull(set, parameter);
        foreach (var der in new[] { set.Certificate, set.CaCertificate })
        {
            // OpenSC sizes a certificate EF from bytes 2-3 of a 30 82 LL LL header.
            if (der.Length < 4 || der[0] != 0x30 || der[1] != 0x82 || (der[2] << 8 | der[3]) + 4 != der.Length)
            {
                throw new ArgumentException("A JPKI certificate must be one DER SEQUENCE with a two-byte length (30 82 LL LL).", parameter);
            }
            using (X509CertificateLoader.LoadCertificate(der))
            {
            }
        }
        using var privateKey = RSA.Create();
        privateKey.ImportPkcs8PrivateKey(set.PrivateKey, out _);
        if (privateKey.KeySize != JpkiFiles.RsaModulusLength * 8)
        {
            throw new ArgumentException($"JPKI keys are RSA-{JpkiFiles.RsaModulusLength * 8}; this one has {privateKey.KeySize} bits.", parameter);
        }
        return new RsaPkcs1Signer(privateKey);
    }
}
