using System.Data.Common;

namespace CardAp.Hub.Store;

/// <summary>A client certificate withdrawn before it expires: by serial, with who, when and why.</summary>
public sealed record RevokedCertificate(string Serial, string Subject, string Reason, DateTimeOffset RevokedAt, string RevokedBy);

/// <summary>
/// The hub's own revocation list (revoked_certificates). The hub checks it on every call instead of
/// fetching CRLs or OCSP answers (ADR 0007, 0008). A revocation is permanent: there is no way back
/// for a serial, a caller who needs access again gets a new certificate.
/// </summary>
public sealed class RevokedCertificateStore(HubDatabase database)
{
    /// <summary>RFC 5280 serials are at most 20 octets.</summary>
    public const int MaxSerialHexDigits = 40;
    public const int MaxSubjectLength = 256;
    public const int MaxReasonLength = 256;
    public const int MaxRevokedByLength = 128;

    /// <summary>
    /// A serial in the one form the table holds: upper-case hex without separators or leading zeros,
    /// so "00:a1:B2" as a viewer prints it and "A1B2" as <c>X509Certificate2.SerialNumber</c> gives it match.
    /// </summary>
    /// <exception cref="FormatException">Not a hexadecimal serial of 1 to 20 octets.</exception>
    public static string NormalizeSerial(string? serial)
    {
        var digits = new string((serial ?? string.Empty).Where(c => c != ':' && !char.IsWhiteSpace(c)).ToArray()).ToUpperInvariant();
        if (digits.Length == 0 || !digits.All(char.IsAsciiHexDigit))
        {
            throw new FormatException($"'{serial}' is not a certificate serial number in hexadecimal.");
        }
        digits = digits.TrimStart('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }
        if (digits.Length > MaxSerialHexDigits)
        {
            throw new FormatException($"Certificate serial '{serial}' is longer than 20 octets.");
        }
        return digits;
    }

    /// <summary>
    /// Revokes a serial and appends <paramref name="audit"/> in the same transaction. A serial revoked
    /// already is left as it was (first reason and time kept) and no entry is written: Added is false.
    /// </summary>
    /// <exception cref="FormatException">The serial is not hexadecimal.</exception>
    /// <exception cref="ArgumentException">Subject, reason or revokedBy is empty or too long.</exception>
    public async Task<(RevokedCertificate Revocation, bool Added)> RevokeAsync(
        string serial, string subject, string reason, string revokedBy, IReadOnlyList<HubAuditEntry> audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        var normalised = NormalizeSerial(serial);
        Require(subject, MaxSubjectLength, nameof(subject));
        Require(reason, MaxReasonLength, nameof(reason));
        Require(revokedBy, MaxRevokedByLength, nameof(revokedBy));
        HubAuditStore.Validate(audit);
        var revocation = new RevokedCertificate(normalised, subject, reason, database.UtcNow, revokedBy);
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (await ReadAsync(connection, transaction, normalised, cancellationToken) is { } existing)
            {
                return (existing, false);
            }
            await HubDatabase.ExecuteAsync(connection, transaction,
                "INSERT INTO revoked_certificates (serial, subject, reason, revoked_at, revoked_by) VALUES (@serial, @subject, @reason, @at, @by)",
                cancellationToken,
                ("@serial", normalised), ("@subject", subject), ("@reason", reason), ("@at", revocation.RevokedAt), ("@by", revokedBy));
            await HubAuditStore.AppendAsync(database, connection, transaction, audit, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (revocation, true);
        }
        catch (DbException)
        {
            // Two revocations of one serial at once: the second insert hits the primary key after the first committed.
            if (await GetAsync(normalised, cancellationToken) is { } winner)
            {
                return (winner, false);
            }
            throw;
        }
    }

    /// <summary>The revocation of this serial, or null when it is not revoked.</summary>
    /// <exception cref="FormatException">The serial is not hexadecimal.</exception>
    public async Task<RevokedCertificate?> GetAsync(string serial, CancellationToken cancellationToken = default)
    {
        var normalised = NormalizeSerial(serial);
        await using var connection = await database.OpenAsync(cancellationToken);
        return await ReadAsync(connection, null, normalised, cancellationToken);
    }

    private static async Task<RevokedCertificate?> ReadAsync(DbConnection connection, DbTransaction? transaction, string serial, CancellationToken cancellationToken)
    {
        await using var command = HubDatabase.Command(connection, transaction,
            "SELECT serial, subject, reason, revoked_at, revoked_by FROM revoked_certificates WHERE serial = @serial", ("@serial", serial));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new RevokedCertificate(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4));
    }

    private static void Require(string value, int maxLength, string name)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > maxLength)
        {
            throw new ArgumentException($"{name} must be 1 to {maxLength} characters.", name);
        }
    }
}
