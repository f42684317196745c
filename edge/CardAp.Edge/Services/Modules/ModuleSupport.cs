using System.Globalization;
using CardAp.Edge.Errors;
using CardAp.Edge.Store;
using CardAp.Shared.Services;
using Grpc.Core;

namespace CardAp.Edge.Services.Modules;

/// <summary>Small helpers the modules share.</summary>
internal static class ModuleSupport
{
    /// <summary>
    /// A built-in module's operations: exactly its schema's, in the schema's order, each completed by
    /// <paramref name="define"/> with how the edge runs it (roles, PIN, fields). An operation the
    /// schema has and the module does not define fails when the module is created, so the module
    /// and the contract the hub validates tuning against cannot drift apart.
    /// </summary>
    public static IReadOnlyList<OperationDefinition> Operations(ServiceSchema schema, Func<OperationSchema, OperationDefinition?> define) =>
        [.. schema.Operations.Select(operation =>
            define(operation) is { } definition && definition.Schema == operation
                ? definition
                : throw new InvalidOperationException($"The module for '{schema.Id}' does not define its schema's operation '{operation.Name}' as the schema says."))];

    /// <summary>
    /// The resident's member number in the service. The pipeline only calls an operation with
    /// <see cref="OperationDefinition.NeedsMembership"/> for a registered resident, so a missing one
    /// is refused the same way rather than failing deep inside a module.
    /// </summary>
    public static string RequireMember(OperationContext context) =>
        string.IsNullOrEmpty(context.Member)
            ? throw EdgeRefusal.Rule(
                "NotRegistered",
                $"This card is not registered for {context.Service.NameEn}.",
                $"このカードは{context.Service.NameJa}に登録されていません。")
            : context.Member;

    /// <summary>
    /// A master data row; a row that does not fit its shape is refused with a message the clerk can
    /// pass on, rather than surfacing as an internal error.
    /// </summary>
    public static T? Master<T>(OperationContext context, string kind, string key)
    {
        try
        {
            return context.Master.Get<T>(kind, key);
        }
        catch (InvalidDataException ex)
        {
            throw new EdgeRefusal(
                StatusCode.FailedPrecondition,
                "MasterDataInvalid",
                $"The master data {kind}/{key} on this terminal cannot be read; please report it to the system administrator. ({ex.Message})",
                $"この端末のマスタデータ（{kind}/{key}）が読み取れません。システム管理者に連絡してください。");
        }
    }

    /// <summary>
    /// This card's transactions in a service (training excluded), in sequence order, found by the
    /// card reference: for services that receive any identified resident without a member number.
    /// </summary>
    public static IEnumerable<StoredTransaction> CardTransactions(OperationContext context, string service, DateTimeOffset? since = null)
    {
        var cardRef = context.CardRef;
        return context.Records.Transactions(service, since: since).Where(t => t.CardRef == cardRef);
    }

    /// <summary>The resident's transactions in a service: by member number when there is one, else by card.</summary>
    public static IEnumerable<StoredTransaction> ResidentTransactions(OperationContext context, string service, DateTimeOffset? since = null) =>
        string.IsNullOrEmpty(context.Member)
            ? CardTransactions(context, service, since)
            : context.Records.Transactions(service, member: context.Member, since: since);

    /// <summary>An optional field's text; the request validator lets an empty optional field through, which counts as absent.</summary>
    public static string? Optional(OperationContext context, string name) =>
        context.OptionalField(name) is { Length: > 0 } value ? value : null;

    /// <summary>An optional integer field (already validated by the pipeline), or the default when absent or empty.</summary>
    public static long OptionalInteger(OperationContext context, string name, long @default) =>
        Optional(context, name) is { } value ? long.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture) : @default;

    public static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
