using System.Globalization;
using System.Security.Cryptography;
using CardAp.Card.Application;
using CardAp.Card.Iso7816;
using CardAp.Card.Tlv;
using CardAp.VirtualCard.Files;
using CardAp.VirtualCard.Security;
using CardAp.VirtualCard.State;
using static CardAp.VirtualCard.Applets.ApduResponses;

namespace CardAp.VirtualCard.Applets;

/// <summary>
/// The CardAp free-area application exactly as docs/card-application.md specifies it: header,
/// services and certificate EFs that only an authenticated issuer may write, the 4-digit PIN,
/// issuer authentication by GET CHALLENGE + EXTERNAL AUTHENTICATE, and a P-256 card key made on
/// the card that answers INTERNAL AUTHENTICATE. Resident and operator cards are the same applet;
/// they differ only in the header the issuer writes.
/// </summary>
public sealed class CardApApplet : IApplet
{
    private readonly TransparentFileSystem _files;
    private readonly RetryCounterPin _pin;
    private ECDsa _issuerKey;
    private byte[] _issuerSpki;
    private ECDsa? _cardKey;

    private bool _pinVerified;
    private bool _issuerAuthenticated;
    private byte[]? _challenge;
    private long _version;

    /// <param name="issuerPublicKey">The municipality's P-256 issuing public key; a private part, if present, is ignored.</param>
    /// <param name="initialPin">4 ASCII digits.</param>
    public CardApApplet(ECParameters issuerPublicKey, string initialPin)
        : this(ImportIssuerKey(issuerPublicKey), CreatePin(initialPin, CardApSpec.PinTries), cardKey: null)
    {
    }

    /// <param name="issuerSubjectPublicKeyInfo">The issuing public key as X.509 SubjectPublicKeyInfo DER.</param>
    /// <param name="initialPin">4 ASCII digits.</param>
    public CardApApplet(byte[] issuerSubjectPublicKeyInfo, string initialPin)
        : this(ImportIssuerKey(issuerSubjectPublicKeyInfo), CreatePin(initialPin, CardApSpec.PinTries), cardKey: null)
    {
    }

    private CardApApplet(ECDsa issuerKey, RetryCounterPin pin, ECDsa? cardKey)
    {
        _issuerKey = issuerKey;
        _issuerSpki = issuerKey.ExportSubjectPublicKeyInfo();
        _pin = pin;
        _cardKey = cardKey;
        _files = new TransparentFileSystem(
        [
            new ElementaryFile(CardApSpec.HeaderFid, CardApSpec.HeaderMaxSize, AccessConditions.Always, IsIssuer, CardApSpec.HeaderSfi, "header"),
            new ElementaryFile(CardApSpec.ServicesFid, CardApSpec.ServicesMaxSize, AccessConditions.Always, IsIssuer, CardApSpec.ServicesSfi, "services"),
            new ElementaryFile(CardApSpec.CertificateFid, CardApSpec.CertificateMaxSize, AccessConditions.Always, IsIssuer, CardApSpec.CertificateSfi, "certificate"),
        ], () => _version++);
    }

    public ReadOnlyMemory<byte> Aid => CardApSpec.Aid;
    public string Name => "CardAp";
    public long PersistentStateVersion => _version;

    public TransparentFileSystem Files => _files;
    public ElementaryFile Header => _files[CardApSpec.HeaderFid];
    public ElementaryFile Services => _files[CardApSpec.ServicesFid];
    public ElementaryFile Certificate => _files[CardApSpec.CertificateFid];

    public int PinTriesLeft => _pin.TriesLeft;
    public int PinMaxTries => _pin.MaxTries;
    public bool IsPinVerified => _pinVerified;
    public bool IsIssuerAuthenticated => _issuerAuthenticated;

    /// <summary>The issuing public key the applet checks EXTERNAL AUTHENTICATE with, as SubjectPublicKeyInfo DER.</summary>
    public byte[] IssuerPublicKey => _issuerSpki.ToArray();

    public bool HasCardKey => _cardKey is not null;

    /// <summary>The card key's public point 04||X||Y, or null before a key was generated.</summary>
    public byte[]? CardPublicPoint => _cardKey is null ? null : PublicPoint(_cardKey);

    /// <summary>
    /// Writes a file directly, as personalisation at a card factory does, without issuer
    /// authentication. Tests and the demo use it; the issuer's own path is APDUs.
    /// </summary>
    public void Personalize(ushort fid, ReadOnlySpan<byte> content)
    {
        _files[fid].Personalize(content);
        _version++;
    }

    /// <summary>Makes a new card key directly (personalisation); returns the public point 04||X||Y.</summary>
    public byte[] GenerateCardKey()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _cardKey?.Dispose();
        _cardKey = key;
        _version++;
        return PublicPoint(key);
    }

    /// <summary>
    /// What someone who skimmed this card can build: every readable file copied onto a fresh applet
    /// for the same issuer, with a key of its own, because the card key never leaves the card.
    /// Tests use it to show that such a clone fails INTERNAL AUTHENTICATE verification.
    /// </summary>
    public CardApApplet CopyReadableContent(string pin)
    {
        var clone = new CardApApplet(_issuerSpki, pin);
        foreach (var file in _files.Files)
        {
            clone.Personalize(file.Fid, file.Content.Span);
        }
        clone.GenerateCardKey();
        return clone;
    }

    public void Select() => ClearSecurityState();

    public void Deselect() => ClearSecurityState();

    public void Reset() => ClearSecurityState();

    public ResponseApdu Process(CommandApdu command)
    {
        if (command.Cla != 0x00)
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
            Ins.ChangeReferenceData => ChangeReferenceData(command),
            Ins.ResetRetryCounter => ResetRetryCounter(command),
            Ins.GetChallenge => GetChallenge(command),
            Ins.ExternalAuthenticate => ExternalAuthenticate(command),
            Ins.GenerateAsymmetricKeyPair => GenerateAsymmetricKeyPair(command),
            Ins.InternalAuthenticate => InternalAuthenticate(command),
            Ins.PutData => PutData(command),
            _ => Status(StatusWord.InstructionNotSupported),
        };
    }

    public AppletState ExportState() => new CardApAppletState(
        _issuerSpki.ToArray(),
        new PinState(_pin.Value, _pin.MaxTries, _pin.TriesLeft),
        _cardKey?.ExportPkcs8PrivateKey(),
        [.. _files.Files.Select(f => new FileState(f.Fid.ToString("X4", CultureInfo.InvariantCulture), f.Content.ToArray()))]);

    /// <summary>Rebuilds an applet from saved state; the security state starts empty, counters are as saved.</summary>
    /// <exception cref="VirtualCardStateException">The state is inconsistent (bad key, PIN, or file).</exception>
    public static CardApApplet FromState(CardApAppletState state)
    {
        try
        {
            ECDsa? cardKey = null;
            if (state.CardPrivateKey is { } pkcs8)
            {
                cardKey = ECDsa.Create();
                cardKey.ImportPkcs8PrivateKey(pkcs8, out _);
                RequireP256(cardKey, "card key");
            }
            var pin = CreatePin(state.Pin.Value, state.Pin.MaxTries, state.Pin.TriesLeft);
            var applet = new CardApApplet(ImportIssuerKey(state.IssuerPublicKey), pin, cardKey);
            foreach (var file in state.Files)
            {
                applet._files[ParseFid(file.Fid)].Personalize(file.Content);
            }
            return applet;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or KeyNotFoundException or FormatException)
        {
            throw new VirtualCardStateException($"CardAp applet state is invalid: {e.Message}", e);
        }
    }

    private bool IsIssuer() => _issuerAuthenticated;

    private void ClearSecurityState()
    {
        _pinVerified = false;
        _issuerAuthenticated = false;
        _challenge = null;
        _files.ClearSelection();
    }

    private ResponseApdu Verify(CommandApdu command)
    {
        if (command.P1 != 0x00)
        {
            return Status(StatusWord.IncorrectP1P2);
        }
        if (command.P2 != CardApSpec.PinReference)
        {
            return Status(StatusWord.ReferenceDataNotFound);
        }
        if (_pin.IsBlocked)
        {
            return Status(StatusWord.ReferenceDataNotUsable);
        }
        if (command.Data.IsEmpty)
        {
            return _pinVerified ? Ok() : Status(StatusWord.VerificationFailed(_pin.TriesLeft));
        }
        if (!IsAsciiDigits(command.Data.Span, CardApSpec.PinLength))
        {
            return Status(StatusWord.IncorrectParametersInData);
        }
        return CheckPin(command.Data.Span, onCorrect: null);
    }

    private ResponseApdu ChangeReferenceData(CommandApdu command)
    {
        if (command.P1 != 0x00)
        {
            return Status(StatusWord.IncorrectP1P2);
        }
        if (command.P2 != CardApSpec.PinReference)
        {
            return Status(StatusWord.ReferenceDataNotFound);
        }
        if (_pin.IsBlocked)
        {
            return Status(StatusWord.ReferenceDataNotUsable);
        }
        var data = command.Data.Span;
        if (data.Length != 2 * CardApSpec.PinLength
            || !IsAsciiDigits(data[..CardApSpec.PinLength], CardApSpec.PinLength)
            || !IsAsciiDigits(data[CardApSpec.PinLength..], CardApSpec.PinLength))
        {
            return Status(StatusWord.IncorrectParametersInData);
        }
        var newPin = data[CardApSpec.PinLength..].ToArray();
        return CheckPin(data[..CardApSpec.PinLength], onCorrect: () => _pin.Set(newPin));
    }

    /// <summary>A wrong PIN drops a verification made earlier in the session, as ISO 7816-4 cards do.</summary>
    private ResponseApdu CheckPin(ReadOnlySpan<byte> candidate, Action? onCorrect)
    {
        var before = _pin.TriesLeft;
        var result = _pin.Check(candidate);
        if (result == PinCheck.Correct)
        {
            onCorrect?.Invoke();
            _pinVerified = true;
            if (onCorrect is not null || _pin.TriesLeft != before)
            {
                _version++;
            }
            return Ok();
        }
        _pinVerified = false;
        _version++;
        // docs/card-application.md: the try that uses up the counter already answers "blocked".
        return _pin.IsBlocked ? Status(StatusWord.ReferenceDataNotUsable) : Status(StatusWord.VerificationFailed(_pin.TriesLeft));
    }

    private ResponseApdu ResetRetryCounter(CommandApdu command)
    {
        if (command.P1 != 0x02)
        {
            return Status(StatusWord.IncorrectP1P2);
        }
        if (command.P2 != CardApSpec.PinReference)
        {
            return Status(StatusWord.ReferenceDataNotFound);
        }
        if (!_issuerAuthenticated)
        {
            return Status(StatusWord.SecurityStatusNotSatisfied);
        }
        if (!IsAsciiDigits(command.Data.Span, CardApSpec.PinLength))
        {
            return Status(StatusWord.IncorrectParametersInData);
        }
        _pin.Set(command.Data.Span);
        _pinVerified = false;
        _version++;
        return Ok();
    }

    private ResponseApdu GetChallenge(CommandApdu command)
    {
        if (command.P1 != 0x00 || command.P2 != 0x00)
        {
            return Status(StatusWord.IncorrectP1P2);
        }
        if (!command.Data.IsEmpty || command.Ne is null)
        {
            return Status(StatusWord.WrongLength);
        }
        if (command.Ne < CardApSpec.ChallengeLength)
        {
            return WrongLe(CardApSpec.ChallengeLength);
        }
        _challenge = RandomNumberGenerator.GetBytes(CardApSpec.ChallengeLength);
        return Ok(_challenge.ToArray());
    }

    private ResponseApdu ExternalAuthenticate(CommandApdu command)
    {
        if (command.P1 != 0x00 || command.P2 != 0x00)
        {
            return Status(StatusWord.IncorrectP1P2);
        }
        if (_challenge is not { } challenge)
        {
            return Status(StatusWord.ConditionsOfUseNotSatisfied);
        }
        // Whatever the outcome, the challenge is spent: a second attempt needs a fresh one.
        _challenge = null;
        _issuerAuthenticated = false;
        if (command.Data.Length != CardApSpec.SignatureLength)
        {
            return Status(StatusWord.WrongLength);
        }
        var message = CardApSpec.ExternalAuthMessage(challenge);
        if (!_issuerKey.VerifyData(message, command.Data.Span, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            return Status(StatusWord.SecurityStatusNotSatisfied);
        }
        _issuerAuthenticated = true;
        return Ok();
    }

    /// <summary>PUT DATA of the issuing key (hand-over to another municipality): issuer only; the new key's session starts afresh.</summary>
    private ResponseApdu PutData(CommandApdu command)
    {
        if (command.P1 != CardApSpec.IssuerKeyP1 || command.P2 != CardApSpec.IssuerKeyP2)
        {
            return Status(StatusWord.IncorrectP1P2);
        }
        if (!_issuerAuthenticated)
        {
            return Status(StatusWord.SecurityStatusNotSatisfied);
        }
        ECDsa key;
        try
        {
            key = ImportIssuerKey(command.Data.ToArray());
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return Status(StatusWord.IncorrectParametersInData);
        }
        _issuerKey.Dispose();
        _issuerKey = key;
        _issuerSpki = key.ExportSubjectPublicKeyInfo();
        _issuerAuthenticated = false;
        _challenge = null;
        _version++;
        return Ok();
    }

    private const int PublicKeyTemplateLength = 3 + 2 + CardApSpec.PublicPointLength;

    private ResponseApdu GenerateAsymmetricKeyPair(CommandApdu command)
    {
        if (command.P1 != 0x80 || command.P2 != 0x00)
        {
            return Status(StatusWord.IncorrectP1P2);
        }
        if (!_issuerAuthenticated)
        {
            return Status(StatusWord.SecurityStatusNotSatisfied);
        }
        if (!command.Data.IsEmpty || command.Ne is null)
        {
            return Status(StatusWord.WrongLength);
        }
        if (command.Ne < PublicKeyTemplateLength)
        {
            return WrongLe(PublicKeyTemplateLength);
        }
        var point = GenerateCardKey();
        var template = new TlvWriter()
            .WriteConstructed(CardApSpec.Tags.PublicKey, inner => inner.Write(CardApSpec.Tags.EcPoint, point))
            .ToArray();
        return Ok(template);
    }

    private ResponseApdu InternalAuthenticate(CommandApdu command)
    {
        if (command.P1 != 0x00 || command.P2 != 0x00)
        {
            return Status(StatusWord.IncorrectP1P2);
        }
        if (command.Data.Length is < CardApSpec.MinTerminalChallenge or > CardApSpec.MaxTerminalChallenge || command.Ne is null)
        {
            return Status(StatusWord.WrongLength);
        }
        if (command.Ne < CardApSpec.SignatureLength)
        {
            return WrongLe(CardApSpec.SignatureLength);
        }
        if (_cardKey is null)
        {
            return Status(StatusWord.ReferenceDataNotFound);
        }
        var message = CardApSpec.InternalAuthMessage(command.Data.Span, _pinVerified, Header.Content.Span, Services.Content.Span);
        var signature = _cardKey.SignData(message, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return Ok(signature);
    }

    private static RetryCounterPin CreatePin(string value, int maxTries, int? triesLeft = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!IsAsciiDigits(System.Text.Encoding.ASCII.GetBytes(value), CardApSpec.PinLength))
        {
            throw new ArgumentException($"The CardAp PIN is {CardApSpec.PinLength} ASCII digits.", nameof(value));
        }
        return new RetryCounterPin(value, maxTries, triesLeft);
    }

    private static ECDsa ImportIssuerKey(ECParameters parameters)
    {
        var publicOnly = new ECParameters { Curve = parameters.Curve, Q = parameters.Q };
        var key = ECDsa.Create(publicOnly);
        RequireP256(key, "issuer key");
        return key;
    }

    private static ECDsa ImportIssuerKey(byte[] spki)
    {
        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(spki, out var read);
        if (read != spki.Length)
        {
            throw new ArgumentException("The issuer key has trailing bytes after its SubjectPublicKeyInfo.", nameof(spki));
        }
        RequireP256(key, "issuer key");
        return key;
    }

    private static void RequireP256(ECDsa key, string what)
    {
        var oid = key.ExportParameters(false).Curve.Oid?.Value;
        if (oid != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            throw new ArgumentException($"The {what} must be on P-256; it is on {oid ?? "an explicit curve"}.");
        }
    }

    private static byte[] PublicPoint(ECDsa key)
    {
        var q = key.ExportParameters(false).Q;
        return [0x04, .. q.X!, .. q.Y!];
    }

    private static ushort ParseFid(string hex) =>
        hex.Length == 4 ? ushort.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : throw new FormatException($"FID \"{hex}\" is not 4 hex digits.");
}
