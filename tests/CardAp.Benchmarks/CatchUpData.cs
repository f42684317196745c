using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Edge.Services.Modules;
using CardAp.Edge.Store;
using CardAp.Shared.Domain;
using CardAp.Shared.Services;

namespace CardAp.Benchmarks;

/// <summary>One master row as the hub stores it.</summary>
internal sealed record CatchUpMasterRow(string Kind, string Key, JsonObject Payload);

/// <summary>
/// The data of the catch-up benchmark, seeded so every run holds the same records and rows.
/// <para>
/// Up: what one busy counter terminal (library, points, seal) records offline during a two-week
/// outage, as <see cref="CardAp.Edge.Services.OperationPipeline"/> writes it: the transaction with
/// the module's payload, Offline set, and its chained audit entry (action "service.operation",
/// subject the card, detail requestId + training). Request ids are UUIDs, as a counter app's
/// idempotency keys are; they do not compress and appear in both streams.
/// </para>
/// <para>
/// Down: the master rows such a terminal receives from a mid-sized city's hub: library loan
/// summaries, points balances, the suspended-card list and seal registrations.
/// </para>
/// </summary>
internal static class CatchUpData
{
    public const string Municipality = "131016";
    public const string Terminal = "131016-T001";
    public static readonly string[] TerminalServices = [LibrarySchema.Id, PointsSchema.Id, SealSchema.Id, ShelterSchema.Id];

    private static readonly TimeSpan Japan = TimeSpan.FromHours(9);
    private static readonly string[] Operators = ["staff-01", "staff-02", "staff-03", "staff-04", "staff-05", "staff-06"];
    private static readonly string[] AccrueReasons = ["library-visit", "volunteer", "health-walk", "recycling", "event"];

    /// <summary>The terminal's master row at the hub (an administration kind: it never reaches the edge).</summary>
    public static JsonObject TerminalRow() => new()
    {
        ["site"] = "chuo-library",
        ["services"] = new JsonArray([.. TerminalServices.Select(s => JsonValue.Create(s))]),
        ["status"] = "active",
    };

    /// <summary>
    /// <paramref name="count"/> transactions with their audit entries, in time order over the
    /// <paramref name="days"/> working days before <paramref name="end"/> (08:30 to 17:15 Japan time).
    /// </summary>
    public static IEnumerable<(NewTransaction Transaction, AuditEntry Audit)> Transactions(int count, DateTimeOffset end, int days = 14, int seed = 7)
    {
        var random = new Random(seed);
        var firstDay = DateOnly.FromDateTime(end.ToOffset(Japan).DateTime).AddDays(-days);
        var opening = new TimeOnly(8, 30);
        var minutesOpen = 8 * 60 + 45;
        var perDay = (count + days - 1) / days;
        for (var i = 0; i < count; i++)
        {
            var day = firstDay.AddDays(i / perDay);
            var minute = (double)(i % perDay) / perDay * minutesOpen;
            var local = new DateTimeOffset(day.ToDateTime(opening), Japan).AddMinutes(minute).AddMilliseconds(random.Next(1000));
            var resident = random.Next(1, 40_000);
            var card = Card(resident);
            var operatorId = random.Next(20) == 0 ? null : Operators[random.Next(Operators.Length)];
            var id = Uuid(random);
            var roll = random.Next(100);
            NewTransaction transaction;
            if (roll < 70)
            {
                var item = random.NextInt64(1_000_000_000, 9_999_999_999).ToString(CultureInfo.InvariantCulture);
                var due = DateOnly.FromDateTime(local.DateTime).AddDays(14).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                var (operation, payload) = roll switch
                {
                    < 35 => (LibraryModule.CheckoutOperation, new JsonObject { ["dueOn"] = due, ["renewals"] = 0 }),
                    < 65 => (LibraryModule.ReturnOperation, new JsonObject { ["dueOn"] = due, ["overdueDays"] = random.Next(10) == 0 ? random.Next(1, 20) : 0 }),
                    _ => (LibraryModule.RenewOperation, new JsonObject { ["dueOn"] = due, ["renewals"] = random.Next(1, 3) }),
                };
                transaction = new NewTransaction(id, local, LibrarySchema.Id, operation, card, LibraryMember(resident), operatorId, item, null, false, payload, Offline: true);
            }
            else if (roll < 95)
            {
                transaction = roll < 90
                    ? new NewTransaction(id, local, PointsSchema.Id, PointsModule.AccrueOperation, card, PointsMember(resident), operatorId, null,
                        random.Next(1, 21), false, new JsonObject { ["reason"] = AccrueReasons[random.Next(AccrueReasons.Length)] }, Offline: true)
                    : new NewTransaction(id, local, PointsSchema.Id, PointsModule.RedeemOperation, card, PointsMember(resident), operatorId ?? Operators[0], null,
                        random.Next(1, 11) * 10, false, new JsonObject { ["offline"] = true }, Offline: true);
            }
            else
            {
                var copies = random.Next(1, 4);
                transaction = new NewTransaction(id, local, SealSchema.Id, SealModule.RequestCertificateOperation, card, null, operatorId ?? Operators[0], null,
                    copies, false, new JsonObject { ["fee"] = copies * 300, ["registeredOn"] = "2019-05-14" }, Offline: true);
            }
            var audit = new AuditEntry(local, $"{transaction.Service}.{transaction.Operation}", AuditEntry.Ok, transaction.Operator, card,
                new JsonObject { ["requestId"] = id, ["training"] = false });
            yield return (transaction, audit);
        }
    }

    /// <summary>
    /// <paramref name="count"/> master rows of the kinds a library/points/seal terminal receives:
    /// 35% loan summaries (one to three open loans), 35% points balances, 20% suspended or revoked
    /// cards, 10% seal registrations.
    /// </summary>
    public static IEnumerable<CatchUpMasterRow> MasterRows(int count, DateTimeOffset asOf, int seed = 11)
    {
        var random = new Random(seed);
        var loans = count * 35 / 100;
        var balances = count * 35 / 100;
        var cards = count * 20 / 100;
        var seals = count - loans - balances - cards;
        var asOfText = asOf.ToOffset(Japan).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
        var today = DateOnly.FromDateTime(asOf.ToOffset(Japan).DateTime);
        for (var i = 0; i < loans; i++)
        {
            var items = new JsonArray();
            for (var n = random.Next(1, 4); n > 0; n--)
            {
                items.Add(new JsonObject
                {
                    ["item"] = random.NextInt64(1_000_000_000, 9_999_999_999).ToString(CultureInfo.InvariantCulture),
                    ["dueOn"] = today.AddDays(random.Next(-3, 15)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    ["renewals"] = random.Next(3) == 0 ? 1 : 0,
                });
            }
            yield return new CatchUpMasterRow(MasterKinds.LoanSummary, LibraryMember(i * 2 + 1), new JsonObject { ["openItems"] = items, ["asOf"] = asOfText });
        }
        for (var i = 0; i < balances; i++)
        {
            yield return new CatchUpMasterRow(MasterKinds.PointsBalance, PointsMember(i * 2 + 1),
                new JsonObject { ["balance"] = random.Next(0, 5000), ["includesLocalThroughSeq"] = 0 });
        }
        for (var i = 0; i < cards; i++)
        {
            var card = Card(100_000 + i * 3);
            yield return new CatchUpMasterRow(MasterKinds.CardStatus, $"{Municipality}/{card}", new JsonObject
            {
                ["status"] = random.Next(10) == 0 ? "revoked" : "suspended",
                ["municipality"] = Municipality,
                ["cardNumber"] = card,
            });
        }
        for (var i = 0; i < seals; i++)
        {
            yield return new CatchUpMasterRow(MasterKinds.SealRegistration, Card(i * 4 + 1), new JsonObject
            {
                ["status"] = random.Next(50) == 0 ? "suspended" : "registered",
                ["registeredOn"] = new DateOnly(2000, 1, 1).AddDays(random.Next(9000)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            });
        }
    }

    /// <summary>A random (version 4) UUID drawn from the seeded generator, as a counter app's request id.</summary>
    private static string Uuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes).ToString();
    }

    private static string Card(int resident) => "C-" + resident.ToString("0000000", CultureInfo.InvariantCulture);

    private static string LibraryMember(int resident) => "L" + resident.ToString("0000000", CultureInfo.InvariantCulture);

    private static string PointsMember(int resident) => "P" + resident.ToString("0000000", CultureInfo.InvariantCulture);
}
