using System.Numerics;
using System.Security.Cryptography;

namespace CardAp.VirtualCard.Jpki;

/// <summary>
/// The card's raw RSA signing primitive: it pads whatever the terminal sends (normally a DigestInfo)
/// with PKCS#1 v1.5 type 1 and applies the private key. .NET's RSA only signs hashes it encodes
/// itself, which would refuse input a real card accepts (a bare or unusual DigestInfo), so the
/// private-key operation is done here with the CRT parameters.
/// </summary>
internal sealed class RsaPkcs1Signer
{
    /// <summary>00 01, at least 8 bytes FF, 00: the input can be at most k - 11 bytes.</summary>
    public const int PaddingOverhead = 11;

    private readonly BigInteger _n, _e, _p, _q, _dp, _dq, _qInv;

    public RsaPkcs1Signer(RSA key)
    {
        var parameters = key.ExportParameters(includePrivateParameters: true);
        _n = ToInteger(parameters.Modulus!);
        _e = ToInteger(parameters.Exponent!);
        _p = ToInteger(parameters.P!);
        _q = ToInteger(parameters.Q!);
        _dp = ToInteger(parameters.DP!);
        _dq = ToInteger(parameters.DQ!);
        _qInv = ToInteger(parameters.InverseQ!);
        ModulusLength = parameters.Modulus!.Length;
        CryptographicOperations.ZeroMemory(parameters.D);
        CryptographicOperations.ZeroMemory(parameters.P);
        CryptographicOperations.ZeroMemory(parameters.Q);
        CryptographicOperations.ZeroMemory(parameters.DP);
        CryptographicOperations.ZeroMemory(parameters.DQ);
        CryptographicOperations.ZeroMemory(parameters.InverseQ);
    }

    public int ModulusLength { get; }

    public int MaxInputLength => ModulusLength - PaddingOverhead;

    public byte[] Sign(ReadOnlySpan<byte> input)
    {
        if (input.Length > MaxInputLength)
        {
            throw new ArgumentException($"At most {MaxInputLength} bytes fit in a PKCS#1 v1.5 block.", nameof(input));
        }
        var block = new byte[ModulusLength];
        block[1] = 0x01;
        block.AsSpan(2, ModulusLength - 3 - input.Length).Fill(0xFF);
        input.CopyTo(block.AsSpan(ModulusLength - input.Length));
        var m = ToInteger(block);

        var m1 = BigInteger.ModPow(m, _dp, _p);
        var m2 = BigInteger.ModPow(m, _dq, _q);
        var h = _qInv * (m1 - m2) % _p;
        if (h.Sign < 0)
        {
            h += _p;
        }
        var s = m2 + h * _q;

        // A CRT fault would leak the factors through the signature; checking costs one small exponentiation.
        if (BigInteger.ModPow(s, _e, _n) != m)
        {
            throw new CryptographicException("RSA signature self-check failed.");
        }
        var signature = new byte[ModulusLength];
        var bytes = s.ToByteArray(isUnsigned: true, isBigEndian: true);
        bytes.CopyTo(signature.AsSpan(ModulusLength - bytes.Length));
        return signature;
    }

    private static BigInteger ToInteger(ReadOnlySpan<byte> bigEndian) => new(bigEndian, isUnsigned: true, isBigEndian: true);
}
