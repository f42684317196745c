using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using CardAp.Shared.Domain;
using CardAp.Shared.Services;
using CardAp.Sync.Contracts;

namespace CardAp.Hub.Store.Sync;

/// <summary>The hub's decision on one transaction pushed with confirm set (an online-only operation).</summary>
public sealed record DecisionRow(long Seq, bool Accepted, string? Reason, string? MessageEn, string? MessageJa)
{
    public static DecisionRow Accept(long seq) => new(seq, true, null, null, null);

    public HubDecision ToWire() => new()
    {
        Seq = Seq,
        Accepted = Accepted,
        Reason = Reason ?? string.Empty,
        MessageEn = MessageEn ?? string.Empty,
        MessageJa = MessageJa ?? string.Empty,
    };
}

/// <summary>
/// What the hub checks before it accepts an online-only operation (ADR 0011): the facts only it
/// knows for sure, because they change at the hub or at other terminals. Runs inside the Push's
/// transaction, after the batch's records were inserted, in sequence order, so each check sees the
/// records (and refusals) before it and nothing after.
/// <list type="bullet">
/// <item>points redeem: the card's central balance covers the points. The balance is the hub's
/// pointsBalance row, taken to include every record the hub had received when it was written, plus
/// the non-training accruals and redemptions of all the municipality's terminals received since,
/// less those the hub refused.</item>
/// <item>seal request-certificate: the registration at the hub is still "registered" (it may have
/// been abolished or suspended since the terminal's last pull).</item>
/// </list>
/// Training records and every other operation are accepted: training changes nothing central.
/// </summary>
internal static class CentralChecks
{
    public const string InsufficientCentralBalance = "InsufficientCentralBalance";
    public const string SealRegistrationNotCurrent = "SealRegistrationNotCurrent";
    public const string Quarantined = "Quarantined";

    public static DecisionRow QuarantinedDecision(long seq, string reason) => new(seq, false, Quarantined,
        $"The central system could not accept this record ({reason}). Nothing was done; please ask the system administrator.",
        $"中央システムがこの記録を受け付けられませんでした（{reason}）。処理は行われていません。システム管理者にお問い合わせください。");

    public static async Task<DecisionRow> DecideAsync(
        DbConnection connection, DbTransaction transaction, MunicipalityCode municipality, string terminal,
        TransactionRecord record, CancellationToken cancellationToken)
    {
        if (record.Training)
        {
            return DecisionRow.Accept(record.Seq);
        }
        return (record.Service, record.Operation) switch
        {
            (PointsSchema.Id, PointsSchema.Redeem) => await PointsAsync(connection, transaction, municipality, terminal, record, cancellationToken),
            (SealSchema.Id, SealSchema.RequestCertificate) => await SealAsync(connection, transaction, municipality, record, cancellationToken),
            _ => DecisionRow.Accept(record.Seq),
        };
    }

    private static async Task<DecisionRow> PointsAsync(
        DbConnection connection, DbTransaction transaction, MunicipalityCode municipality, string terminal,
        TransactionRecord record, CancellationToken cancellationToken)
    {
        var (payload, updatedAt) = await RowAsync(connection, transaction, municipality, MasterKinds.PointsBalance, record.Member, cancellationToken);
        var opening = payload is null ? 0 : Integer(payload, "balance");
        // This record and the batch's later ones are inserted already; they are not part of the balance it is checked against.
        var sql = "SELECT coalesce(sum(CASE WHEN operation = @accrue THEN amount ELSE -amount END), 0) FROM edge_transactions t " +
            "WHERE municipality = @municipality AND service = @service AND member = @member AND training = @false AND amount IS NOT NULL " +
            "AND operation IN (@accrue, @redeem) AND NOT (terminal = @terminal AND seq >= @seq) " +
            (updatedAt is null ? string.Empty : "AND received_at > @since ") +
            "AND NOT EXISTS (SELECT 1 FROM sync_decisions d WHERE d.municipality = t.municipality AND d.terminal = t.terminal AND d.seq = t.seq AND d.accepted = @false)";
        List<(string, object?)> parameters =
        [
            ("@accrue", PointsSchema.Accrue), ("@redeem", PointsSchema.Redeem), ("@municipality", municipality.Value), ("@service", PointsSchema.Id),
            ("@member", record.Member), ("@false", false), ("@terminal", terminal), ("@seq", record.Seq),
        ];
        if (updatedAt is { } since)
        {
            parameters.Add(("@since", since));
        }
        var moved = Convert.ToInt64(await HubDatabase.ScalarAsync(connection, transaction, sql, cancellationToken, [.. parameters]), CultureInfo.InvariantCulture);
        var balance = opening + moved;
        if (record.HasAmount && record.Amount <= balance)
        {
            return DecisionRow.Accept(record.Seq);
        }
        return new DecisionRow(record.Seq, false, InsufficientCentralBalance,
            $"The central points balance of this card is {balance} points, not enough to redeem {record.Amount}. Nothing was redeemed.",
            $"中央システムのポイント残高が不足しています（残高 {balance} ポイント、利用 {record.Amount} ポイント）。ポイントは利用されていません。");
    }

    private static async Task<DecisionRow> SealAsync(
        DbConnection connection, DbTransaction transaction, MunicipalityCode municipality, TransactionRecord record, CancellationToken cancellationToken)
    {
        var (payload, _) = await RowAsync(connection, transaction, municipality, MasterKinds.SealRegistration, record.Member, cancellationToken);
        var status = payload is null ? null : Text(payload, "status");
        if (string.Equals(status, SealSchema.RegisteredStatus, StringComparison.Ordinal))
        {
            return DecisionRow.Accept(record.Seq);
        }
        return new DecisionRow(record.Seq, false, SealRegistrationNotCurrent,
            $"The central system holds no valid seal registration for this card (status: {status ?? "none"}). No certificate was requested; please ask at the counter.",
            $"中央システムにこのカードの有効な印鑑登録がありません（状態: {status ?? "なし"}）。証明書の請求は行われていません。窓口にお問い合わせください。");
    }

    private static async Task<(string? Payload, DateTimeOffset? UpdatedAt)> RowAsync(
        DbConnection connection, DbTransaction transaction, MunicipalityCode municipality, string kind, string key, CancellationToken cancellationToken)
    {
        if (key.Length == 0)
        {
            return (null, null);
        }
        await using var command = HubDatabase.Command(connection, transaction,
            "SELECT payload, updated_at FROM master_rows WHERE municipality = @municipality AND kind = @kind AND row_key = @key AND deleted = @false",
            ("@municipality", municipality.Value), ("@kind", kind), ("@key", key), ("@false", false));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) && !reader.IsDBNull(0)
            ? (reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1))
            : (null, null);
    }

    // Master rows were validated when written; a value of another shape counts as absent rather than failing the Push.
    private static long Integer(string json, string property)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(property, out var value)
            && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : 0;
    }

    private static string? Text(string json, string property)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(property, out var value)
            && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }
}
