using System.Data.Common;
using System.Globalization;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Store.Records;

/// <summary>
/// A terminal's last contact with the hub: when, which software version it runs, how many records
/// it still has to upload (backlog) and how far its clock is from the hub's (terminal minus hub).
/// </summary>
public sealed record TerminalContact(
    MunicipalityCode Municipality,
    string Terminal,
    DateTimeOffset LastContactAt,
    string SoftwareVersion,
    long Backlog,
    TimeSpan ClockSkew);

/// <summary>Each terminal's last contact (the fleet view), written by the terminal's sync calls.</summary>
public sealed class TerminalContacts(HubDatabase database)
{
    private const string Columns = "municipality, terminal, last_contact_at, software_version, backlog, clock_skew_ms";

    /// <summary>Records a contact at the hub's time, replacing the terminal's previous one.</summary>
    /// <exception cref="ArgumentException">A field is empty, too long or negative.</exception>
    public async Task<TerminalContact> RecordAsync(
        MunicipalityCode municipality, string terminal, string softwareVersion, long backlog, DateTimeOffset terminalClock,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(terminal) || terminal.Length > UsageRecords.MaxIdLength)
        {
            throw new ArgumentException($"terminal must be 1 to {UsageRecords.MaxIdLength} characters.", nameof(terminal));
        }
        if (string.IsNullOrWhiteSpace(softwareVersion) || softwareVersion.Length > 64)
        {
            throw new ArgumentException("softwareVersion must be 1 to 64 characters.", nameof(softwareVersion));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(backlog);
        var now = database.UtcNow;
        var contact = new TerminalContact(municipality, terminal, now, softwareVersion, backlog, terminalClock - now);
        (string, object?)[] parameters =
        [
            ("@municipality", municipality.Value), ("@terminal", terminal), ("@at", now), ("@version", softwareVersion),
            ("@backlog", backlog), ("@skew", (long)Math.Round(contact.ClockSkew.TotalMilliseconds)),
        ];
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Update-then-insert is portable; one terminal's calls come one after another, so the insert does not race.
        var updated = await HubDatabase.ExecuteAsync(connection, transaction,
            "UPDATE terminal_contacts SET last_contact_at = @at, software_version = @version, backlog = @backlog, clock_skew_ms = @skew " +
            "WHERE municipality = @municipality AND terminal = @terminal", cancellationToken, parameters);
        if (updated == 0)
        {
            await HubDatabase.ExecuteAsync(connection, transaction,
                $"INSERT INTO terminal_contacts ({Columns}) VALUES (@municipality, @terminal, @at, @version, @backlog, @skew)",
                cancellationToken, parameters);
        }
        await transaction.CommitAsync(cancellationToken);
        return contact;
    }

    /// <summary>The municipality's terminals that ever made contact, in terminal order.</summary>
    public async Task<IReadOnlyList<TerminalContact>> ListAsync(MunicipalityCode municipality, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = HubDatabase.Command(connection, null,
            $"SELECT {Columns} FROM terminal_contacts WHERE municipality = @municipality ORDER BY terminal", ("@municipality", municipality.Value));
        await using DbDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<TerminalContact>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new TerminalContact(
                MunicipalityCode.Parse(reader.GetString(0)),
                reader.GetString(1),
                reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetString(3),
                reader.GetInt64(4),
                TimeSpan.FromMilliseconds(Convert.ToInt64(reader.GetValue(5), CultureInfo.InvariantCulture))));
        }
        return result;
    }
}
