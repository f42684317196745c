using CardAp.Shared.Domain;
using CardAp.Shared.Hours;
using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Edge.Errors;
using CardAp.Edge.Operators;
using CardAp.Edge.Store;
using CardAp.Shared.Services;

namespace CardAp.Edge.Services.Modules;

/// <summary>
/// Library (図書館): check out, return and renew books with the library card on the resident's
/// card. A resident's open loans are known offline: the hub's synced summary (master kind
/// <see cref="LoanSummaryKind"/>) plus what this terminal recorded after it.
/// </summary>
public sealed class LibraryModule : IServiceModule
{
    public const string ServiceId = LibrarySchema.Id;
    public const string CheckoutOperation = LibrarySchema.Checkout;
    public const string ReturnOperation = LibrarySchema.Return;
    public const string RenewOperation = LibrarySchema.Renew;
    public const string LoanSummaryKind = MasterKinds.LoanSummary;

    public const string LoanLimitSetting = LibrarySchema.LoanLimit;
    public const string LoanPeriodDaysSetting = LibrarySchema.LoanPeriodDays;
    public const string RenewalLimitSetting = LibrarySchema.RenewalLimit;

    /// <summary>The request field holding the book's id (its barcode).</summary>
    public const string ItemField = "item";

    public ServiceSchema Schema => LibrarySchema.Schema;

    public string Id => Schema.Id;

    public string NameEn => Schema.NameEn;

    public string NameJa => Schema.NameJa;

    // A library card is used without its PIN at the counter and at the self-checkout machine; all
    // three operations take the book's barcode.
    public IReadOnlyList<OperationDefinition> Operations { get; } = ModuleSupport.Operations(LibrarySchema.Schema, operation => operation.Name switch
    {
        CheckoutOperation or ReturnOperation or RenewOperation => OperationDefinition.For(operation, [Roles.Librarian, Roles.CounterClerk], pinRequired: false,
            fields: [new FieldDefinition(ItemField, FieldType.Text, Required: true, MaxLength: 32)]),
        _ => null,
    });

    public IReadOnlyList<SettingDefinition> Settings => Schema.Settings;

    public OperationOutcome Execute(OperationContext context) => context.Operation.Name switch
    {
        CheckoutOperation => Checkout(context),
        ReturnOperation => Return(context),
        RenewOperation => Renew(context),
        _ => throw new InvalidOperationException($"The library has no operation '{context.Operation.Name}'."),
    };

    private static OperationOutcome Checkout(OperationContext context)
    {
        var member = ModuleSupport.RequireMember(context);
        var item = context.Field(ItemField);
        var loans = OpenLoans(context, member);
        if (loans.ContainsKey(item))
        {
            throw EdgeRefusal.Rule(
                "AlreadyOnLoan",
                $"Book {item} is already on loan to this resident.",
                $"資料 {item} はすでにこの利用者に貸出中です。");
        }
        if (OnLoanToSomeoneElse(context, item, member))
        {
            throw EdgeRefusal.Rule(
                "AlreadyOnLoan",
                $"Book {item} is still on loan to another user: return it first.",
                $"資料 {item} は他の利用者に貸出中です。先に返却手続きをしてください。");
        }
        var limit = context.Settings.Integer(LoanLimitSetting);
        if (loans.Count >= limit)
        {
            throw EdgeRefusal.Rule(
                "LoanLimitReached",
                $"This resident already has {loans.Count} books on loan, the limit is {limit}: return a book first.",
                $"貸出中の資料が {loans.Count} 冊あり、上限の {limit} 冊に達しています。返却後に貸出できます。");
        }
        var dueOn = JapanTime.DateOf(context.Now).AddDays(checked((int)context.Settings.Integer(LoanPeriodDaysSetting)));
        var due = JapanTime.IsoDate(dueOn);
        return new OperationOutcome(
            $"Book {item} checked out, due {due}.",
            $"資料 {item} を貸し出しました。返却期限は {due} です。",
            Item: item,
            Result: new Dictionary<string, string>
            {
                ["dueOn"] = due,
                ["loans"] = ModuleSupport.Text(loans.Count + 1),
                ["loanLimit"] = ModuleSupport.Text(limit),
            },
            Payload: new JsonObject { ["dueOn"] = due, ["renewals"] = 0 });
    }

    private static OperationOutcome Return(OperationContext context)
    {
        var member = ModuleSupport.RequireMember(context);
        var item = context.Field(ItemField);
        var loans = OpenLoans(context, member);
        if (!loans.TryGetValue(item, out var loan))
        {
            throw NotOnLoan(item);
        }
        var today = JapanTime.DateOf(context.Now);
        var overdueDays = Math.Max(0, today.DayNumber - loan.DueOn.DayNumber);
        var due = JapanTime.IsoDate(loan.DueOn);
        return new OperationOutcome(
            overdueDays > 0 ? $"Book {item} returned, {overdueDays} days late." : $"Book {item} returned.",
            overdueDays > 0 ? $"資料 {item} の返却を受け付けました（{overdueDays} 日延滞）。" : $"資料 {item} の返却を受け付けました。",
            Item: item,
            Result: new Dictionary<string, string>
            {
                ["dueOn"] = due,
                ["overdueDays"] = ModuleSupport.Text(overdueDays),
                ["loans"] = ModuleSupport.Text(loans.Count - 1),
            },
            Payload: new JsonObject { ["dueOn"] = due, ["overdueDays"] = overdueDays });
    }

    private static OperationOutcome Renew(OperationContext context)
    {
        var member = ModuleSupport.RequireMember(context);
        var item = context.Field(ItemField);
        var loans = OpenLoans(context, member);
        if (!loans.TryGetValue(item, out var loan))
        {
            throw NotOnLoan(item);
        }
        var limit = context.Settings.Integer(RenewalLimitSetting);
        if (loan.Renewals >= limit)
        {
            throw EdgeRefusal.Rule(
                "RenewalLimitReached",
                $"Book {item} has been renewed {loan.Renewals} times, the limit is {limit}: it must be returned.",
                $"資料 {item} は {loan.Renewals} 回延長済みで、延長の上限（{limit} 回）に達しています。返却してください。");
        }
        // The new period runs from the day of renewal, and never shortens the current one.
        var renewed = JapanTime.DateOf(context.Now).AddDays(checked((int)context.Settings.Integer(LoanPeriodDaysSetting)));
        var dueOn = renewed > loan.DueOn ? renewed : loan.DueOn;
        var due = JapanTime.IsoDate(dueOn);
        var renewals = loan.Renewals + 1;
        return new OperationOutcome(
            $"Book {item} renewed, now due {due}.",
            $"資料 {item} の貸出を延長しました。新しい返却期限は {due} です。",
            Item: item,
            Result: new Dictionary<string, string>
            {
                ["dueOn"] = due,
                ["renewals"] = ModuleSupport.Text(renewals),
                ["renewalLimit"] = ModuleSupport.Text(limit),
            },
            Payload: new JsonObject { ["dueOn"] = due, ["renewals"] = renewals });
    }

    private static EdgeRefusal NotOnLoan(string item) => EdgeRefusal.Rule(
        "NotOnLoan",
        $"Book {item} is not on loan to this resident.",
        $"資料 {item} はこの利用者に貸出中ではありません。");

    /// <summary>
    /// Whether the last local checkout of the item went to another member who still has it: that
    /// member's open loans (their synced summary plus local records) decide, so a book returned
    /// at another library and already known to the hub is free again.
    /// </summary>
    private static bool OnLoanToSomeoneElse(OperationContext context, string item, string member)
    {
        var lastCheckout = context.Records.Transactions(ServiceId, item: item)
            .Where(t => t.Operation == CheckoutOperation)
            .MaxBy(t => t.Seq);
        return lastCheckout?.Member is { } holder
            && holder != member
            && OpenLoans(context, holder).ContainsKey(item);
    }

    /// <summary>
    /// A member's open loans as this terminal knows them: the hub's summary, then this terminal's
    /// checkouts, returns and renewals (never training ones) that the summary does not include
    /// yet, in the order they were recorded.
    /// </summary>
    internal static Dictionary<string, Loan> OpenLoans(OperationContext context, string member)
    {
        var summary = ModuleSupport.Master<LoanSummaryRow>(context, LoanSummaryKind, member);
        var loans = new Dictionary<string, Loan>(StringComparer.Ordinal);
        foreach (var open in summary?.OpenItems ?? [])
        {
            loans[open.Item] = new Loan(open.Item, open.DueOn, open.Renewals);
        }
        foreach (var record in context.Records.Transactions(ServiceId, member: member))
        {
            if (record.Item is not { } item || summary?.Includes(record) == true)
            {
                continue;
            }
            var payload = record.ParsePayload();
            switch (record.Operation)
            {
                case CheckoutOperation:
                case RenewOperation:
                    var dueOn = payload["dueOn"] is JsonValue due && due.TryGetValue<string>(out var text)
                        && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
                        ? parsed
                        : JapanTime.DateOf(record.LocalTime);
                    var renewals = payload["renewals"] is JsonValue count && count.TryGetValue<int>(out var n) ? n : 0;
                    loans[item] = new Loan(item, dueOn, renewals);
                    break;
                case ReturnOperation:
                    loans.Remove(item);
                    break;
                default:
                    break;
            }
        }
        return loans;
    }

    internal sealed record Loan(string Item, DateOnly DueOn, int Renewals);
}

/// <summary>
/// A member's open loans as the hub knows them (master kind "loanSummary", key = member number).
/// Local records already reflected in it are skipped: exactly those with a sequence up to
/// <see cref="IncludesLocalThroughSeq"/> when the hub gives it, otherwise those recorded at or
/// before <see cref="AsOf"/>.
/// </summary>
public sealed record LoanSummaryRow(IReadOnlyList<LoanSummaryItem>? OpenItems = null, DateTimeOffset? AsOf = null, long? IncludesLocalThroughSeq = null)
{
    internal bool Includes(StoredTransaction record) =>
        IncludesLocalThroughSeq is { } seq ? record.Seq <= seq : AsOf is { } asOf && record.LocalTime <= asOf;
}

/// <summary>One open loan in a <see cref="LoanSummaryRow"/>.</summary>
public sealed record LoanSummaryItem(string Item, DateOnly DueOn, int Renewals = 0);
