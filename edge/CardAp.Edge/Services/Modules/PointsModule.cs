using CardAp.Shared.Domain;
using CardAp.Shared.Hours;
using System.Text.Json.Nodes;
using CardAp.Edge.Errors;
using CardAp.Edge.Operators;
using CardAp.Shared.Services;

namespace CardAp.Edge.Services.Modules;

/// <summary>
/// Local points (地域ポイント): points accrued for health or volunteer activity and redeemed at the
/// counter or a kiosk. Balance = the hub's synced balance (master kind <see cref="BalanceKind"/>)
/// plus this terminal's accruals minus its redemptions recorded after it. While the hub is
/// unreachable a card may redeem only up to a tuned amount per Japan day, which bounds what a card
/// could overspend across terminals that cannot see each other.
/// </summary>
public sealed class PointsModule : IServiceModule
{
    public const string ServiceId = PointsSchema.Id;
    public const string AccrueOperation = PointsSchema.Accrue;
    public const string RedeemOperation = PointsSchema.Redeem;
    public const string BalanceKind = MasterKinds.PointsBalance;

    public const string PointsField = "points";
    public const string ReasonField = "reason";

    public const string OfflineRedeemLimitPerDaySetting = PointsSchema.OfflineRedeemLimitPerDay;
    public const string MaxBalanceSetting = PointsSchema.MaxBalance;

    public const long MaxPointsPerOperation = PointsSchema.MaxPointsPerOperation;

    private static readonly FieldDefinition Points = new(PointsField, FieldType.Integer, Required: true, MaxLength: 6, Min: 1, Max: MaxPointsPerOperation);

    public ServiceSchema Schema => PointsSchema.Schema;

    public string Id => Schema.Id;

    public string NameEn => Schema.NameEn;

    public string NameJa => Schema.NameJa;

    public IReadOnlyList<OperationDefinition> Operations { get; } = ModuleSupport.Operations(PointsSchema.Schema, operation => operation.Name switch
    {
        AccrueOperation => OperationDefinition.For(operation, [Roles.CounterClerk, Roles.HealthStaff], pinRequired: false,
            fields: [Points, new FieldDefinition(ReasonField, FieldType.Text, Required: true, MaxLength: 64)]),
        RedeemOperation => OperationDefinition.For(operation, [Roles.CounterClerk], pinRequired: true,
            fields: [Points]),
        _ => null,
    });

    public IReadOnlyList<SettingDefinition> Settings => Schema.Settings;

    public OperationOutcome Execute(OperationContext context) => context.Operation.Name switch
    {
        AccrueOperation => Accrue(context),
        RedeemOperation => Redeem(context),
        _ => throw new InvalidOperationException($"Local points has no operation '{context.Operation.Name}'."),
    };

    private static OperationOutcome Accrue(OperationContext context)
    {
        var member = ModuleSupport.RequireMember(context);
        var points = context.IntegerField(PointsField);
        var balance = Balance(context, member);
        var max = context.Settings.Integer(MaxBalanceSetting);
        if (balance + points > max)
        {
            throw EdgeRefusal.Rule(
                "BalanceLimitReached",
                $"The balance would be {balance + points} points, above the limit of {max}: at most {Math.Max(0, max - balance)} more can be added.",
                $"残高が上限の {max} ポイントを超えます（現在 {balance} ポイント、あと {Math.Max(0, max - balance)} ポイントまで付与できます）。");
        }
        balance += points;
        return new OperationOutcome(
            $"{points} points added. Balance: {balance} points.",
            $"{points} ポイントを付与しました。残高は {balance} ポイントです。",
            Amount: points,
            Result: new Dictionary<string, string> { ["points"] = ModuleSupport.Text(points), ["balance"] = ModuleSupport.Text(balance) },
            Payload: new JsonObject { ["reason"] = context.Field(ReasonField) });
    }

    private static OperationOutcome Redeem(OperationContext context)
    {
        var member = ModuleSupport.RequireMember(context);
        var points = context.IntegerField(PointsField);
        var balance = Balance(context, member);
        if (points > balance)
        {
            throw EdgeRefusal.Rule(
                "InsufficientPoints",
                $"The balance is {balance} points, not enough to redeem {points}.",
                $"ポイント残高が不足しています（残高 {balance} ポイント、利用 {points} ポイント）。");
        }
        var result = new Dictionary<string, string>();
        if (!context.Online)
        {
            var limit = context.Settings.Integer(OfflineRedeemLimitPerDaySetting);
            var today = context.Records.Sum(ServiceId, RedeemOperation, member, JapanTime.StartOfDay(context.Now));
            var remaining = Math.Max(0, limit - today);
            if (points > remaining)
            {
                throw EdgeRefusal.Rule(
                    "OfflineLimitReached",
                    $"The network is down: a card may redeem {limit} points a day until it is back, {remaining} remain today.",
                    $"ネットワーク停止中のため、ポイント利用は1日 {limit} ポイントまでです（本日の残り {remaining} ポイント）。");
            }
            result["offlineRemainingToday"] = ModuleSupport.Text(remaining - points);
        }
        balance -= points;
        result["points"] = ModuleSupport.Text(points);
        result["balance"] = ModuleSupport.Text(balance);
        return new OperationOutcome(
            $"{points} points redeemed. Balance: {balance} points.",
            $"{points} ポイントを利用しました。残高は {balance} ポイントです。",
            Amount: points,
            Result: result,
            Payload: new JsonObject { ["offline"] = !context.Online });
    }

    /// <summary>
    /// The hub's synced balance plus this terminal's accruals minus its redemptions that the synced
    /// balance does not include yet (sequence above <see cref="PointsBalanceRow.IncludesLocalThroughSeq"/>);
    /// training records never count.
    /// </summary>
    internal static long Balance(OperationContext context, string member)
    {
        var synced = ModuleSupport.Master<PointsBalanceRow>(context, BalanceKind, member);
        var balance = synced?.Balance ?? 0;
        var through = synced?.IncludesLocalThroughSeq ?? 0;
        foreach (var record in context.Records.Transactions(ServiceId, member: member))
        {
            if (record.Seq <= through)
            {
                continue;
            }
            balance += record.Operation switch
            {
                AccrueOperation => record.Amount ?? 0,
                RedeemOperation => -(record.Amount ?? 0),
                _ => 0,
            };
        }
        return balance;
    }
}

/// <summary>
/// A card's balance as the hub knows it (master kind "pointsBalance", key = member number),
/// including this terminal's records up to sequence <see cref="IncludesLocalThroughSeq"/>.
/// </summary>
public sealed record PointsBalanceRow(long Balance, long IncludesLocalThroughSeq = 0);
