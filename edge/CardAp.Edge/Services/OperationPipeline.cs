using System.Globalization;
using System.Text.Json.Nodes;
using CardAp.Card.Iso7816;
using CardAp.Card.Readers;
using CardAp.Card.Verification;
using CardAp.Edge.Api;
using CardAp.Edge.Errors;
using CardAp.Edge.Hub;
using CardAp.Edge.Operators;
using CardAp.Edge.Store;
using CardAp.Edge.Sync;
using CardAp.Edge.Trust;
using CardAp.Shared.Services;
using Grpc.Core;

namespace CardAp.Edge.Services;

/// <summary>
/// Everything every operation goes through, in this order: request validation, idempotent retry,
/// who may (operator role or kiosk rule), when (service hours), whether offline is allowed,
/// who the resident is (the card, offline), the module's own rules, then one durable SQLite
/// transaction holding the record and its audit entry. Every refusal after validation is audited.
/// An online-only operation (while online, not training) is then pushed to the hub and answered only
/// on the hub's decision (ADR 0011): accepted, refused with the hub's reason, or not settled yet.
/// </summary>
public sealed class OperationPipeline(
    ServiceCatalog catalog,
    OperatorSessions sessions,
    CardIdentification identification,
    ServiceHoursProvider hours,
    HubConnectivity hub,
    SyncBackgroundService sync,
    TrainingMode training,
    LocalRecords records,
    MasterData master,
    TimeProvider clock,
    ILogger<OperationPipeline> logger) : IDisposable
{
    // Module rules check local records and then write; one writer at a time keeps that honest.
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public async Task<OperationReply> ExecuteAsync(OperationRequest request, CancellationToken cancellationToken)
    {
        var (service, operation) = RequestValidator.Validate(request, catalog);
        if (records.ByRequestId(request.RequestId) is { } original)
        {
            // A retry of an online-only operation the hub had not settled: this is how the clerk learns the outcome.
            if (original.Confirm)
            {
                await RequireHubAcceptanceAsync(original.Seq, cancellationToken);
            }
            return Reply(request.RequestId, original, duplicate: true, result: null, "Already recorded.", "記録済みです。");
        }
        var (reply, confirmSeq) = await RecordAsync(request, service, operation, cancellationToken);
        if (confirmSeq is { } seq)
        {
            await RequireHubAcceptanceAsync(seq, cancellationToken);
        }
        return reply;
    }

    private async Task<(OperationReply Reply, long? ConfirmSeq)> RecordAsync(
        OperationRequest request, TunedService service, OperationDefinition operation, CancellationToken cancellationToken)
    {

        OperatorSession? session = null;
        var now = clock.GetUtcNow().ToOffset(Card.Application.CardDates.JapanOffset);
        try
        {
            // Known before the role check, so a refusal's audit names the operator and their training mode.
            session = string.IsNullOrEmpty(request.Session) ? null : sessions.Require(request.Session);
            Authorize(request, service, operation, session);
            hours.EnsureOpen(service, now);
            var online = hub.IsOnline;
            if (!online && service.OfflinePolicy(operation) == OfflinePolicy.OnlineOnly)
            {
                throw new EdgeRefusal(StatusCode.Unavailable, "OnlineOnly",
                    $"{service.Module.NameEn}: \"{operation.Name}\" needs the central system, which cannot be reached now. Please try again later or use the counter.",
                    $"{service.Module.NameJa}の「{operation.Name}」は中央システムとの接続が必要ですが、現在接続できません。しばらくしてから再度お試しいただくか、窓口をご利用ください。");
            }
            var pinNeeded = operation.PinRequired || session is null;
            if (pinNeeded && string.IsNullOrEmpty(request.Pin))
            {
                throw EdgeRefusal.InvalidField("pin", $"\"{operation.Name}\" needs the resident's PIN.", $"「{operation.Name}」には暗証番号の入力が必要です。");
            }
            var pin = NullIfEmpty(request.Pin);
            var resident = identification.IdentifyResident(request.Reader, pin);
            string? member = null;
            if (operation.NeedsMembership)
            {
                member = MembershipOf(resident, service);
            }

            var isTraining = training.Terminal || session?.Training == true;
            // Training changes nothing central, so it never waits for the hub.
            var confirm = online && !isTraining && service.OfflinePolicy(operation) == OfflinePolicy.OnlineOnly;
            await _writeLock.WaitAsync(cancellationToken);
            try
            {
                var context = new OperationContext(service.Module, operation, resident, member, request.Fields, new ServiceSettings(service.Settings),
                    now, online, isTraining, session?.OperatorId, records, master);
                var outcome = service.Module.Execute(context);
                var transaction = new NewTransaction(
                    request.RequestId, now, service.Module.Id, operation.Name, context.CardRef, member, session?.OperatorId,
                    outcome.Item, outcome.Amount, isTraining, outcome.Payload ?? [], Offline: !online, Confirm: confirm);
                var audit = new AuditEntry(now, $"{service.Module.Id}.{operation.Name}", confirm ? AuditEntry.Pending : AuditEntry.Ok, session?.OperatorId, context.CardRef,
                    new JsonObject { ["requestId"] = request.RequestId, ["training"] = isTraining });
                var receipt = records.RecordTransaction(transaction, audit);
                // Only a retry that raced this one was recorded differently; otherwise the reply is what was just written.
                if (receipt.Duplicate)
                {
                    var stored = records.ByRequestId(request.RequestId)!;
                    return (Reply(request.RequestId, stored, duplicate: true, outcome.Result, outcome.MessageEn, outcome.MessageJa), stored.Confirm ? stored.Seq : null);
                }
                return (Reply(request.RequestId, receipt.Seq, transaction.CardRef, member, isTraining, now, duplicate: false, outcome.Result, outcome.MessageEn, outcome.MessageJa),
                    confirm ? receipt.Seq : null);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (EdgeRefusal refusal)
        {
            AuditRefusal(now, request, session, refusal);
            throw;
        }
    }

    // The hub's word on an online-only transaction. Its refusal was audited when the decision was
    // kept (LocalRecords.RecordDecisions), and an unsettled one is no refusal: neither is audited here.
    private async Task RequireHubAcceptanceAsync(long seq, CancellationToken cancellationToken)
    {
        var decision = records.Decision(seq);
        if (decision is null && await sync.TryConfirmAsync(seq, cancellationToken))
        {
            decision = records.Decision(seq);
        }
        if (decision is null)
        {
            throw new EdgeRefusal(StatusCode.Unavailable, "AwaitingHub",
                "The central system has not confirmed this operation yet, so it is not complete. The terminal keeps it and settles it when the connection allows. Please try again in a moment with the same request (do not start a new one) to see the result.",
                "中央システムの確認がまだ得られていないため、この手続きは完了していません。端末が記録を保持し、接続が回復し次第確定します。しばらくしてから同じ手続きを再試行して結果をご確認ください（新しく受け付け直さないでください）。");
        }
        if (!decision.Accepted)
        {
            throw new EdgeRefusal(StatusCode.FailedPrecondition, decision.Reason ?? "HubRefused",
                decision.MessageEn ?? "The central system refused this operation. Nothing was done; please ask the system administrator.",
                decision.MessageJa ?? "中央システムがこの手続きを受け付けませんでした。処理は行われていません。システム管理者にお問い合わせください。");
        }
    }

    private static void Authorize(OperationRequest request, TunedService service, OperationDefinition operation, OperatorSession? session)
    {
        if (session is null)
        {
            if (!service.KioskAllowed(operation))
            {
                throw new EdgeRefusal(StatusCode.PermissionDenied, "KioskNotAllowed",
                    $"{service.Module.NameEn}: \"{operation.Name}\" is available at the counter only. Please ask a member of staff.",
                    $"{service.Module.NameJa}の「{operation.Name}」は窓口でのみ利用できます。職員にお申し付けください。");
            }
            if (string.IsNullOrEmpty(request.Pin))
            {
                throw EdgeRefusal.InvalidField("pin", "a kiosk operation needs the resident's PIN.", "端末での利用には暗証番号が必要です。");
            }
            return;
        }
        if (!operation.Roles.Contains(session.Role))
        {
            throw new EdgeRefusal(StatusCode.PermissionDenied, "RoleNotPermitted",
                $"Your role ({session.Role}) may not perform \"{operation.Name}\" of {service.Module.NameEn}.",
                $"あなたの権限({session.Role})では{service.Module.NameJa}の「{operation.Name}」は操作できません。");
        }
    }

    private static string MembershipOf(CardIdentity resident, TunedService service)
    {
        var registration = resident.Services.FirstOrDefault(s => s.Service.Value == service.Module.Id);
        if (registration is null)
        {
            throw EdgeRefusal.Rule("NotRegistered",
                $"This card is not registered for {service.Module.NameEn}. Registration is done at the counter.",
                $"このカードは{service.Module.NameJa}に登録されていません。登録は窓口で行います。");
        }
        if (registration.Status != Card.Application.ServiceStatus.Active)
        {
            throw EdgeRefusal.Rule("ServiceStopped",
                $"Use of {service.Module.NameEn} with this card is stopped. Please ask at the counter.",
                $"このカードの{service.Module.NameJa}の利用は停止されています。窓口にお問い合わせください。");
        }
        return registration.Member.Value;
    }

    // The hub turns these entries into refused usage records (ADR 0010): it reads the service,
    // operation, training and offline flags and the reason from the detail, not by parsing the action.
    private void AuditRefusal(DateTimeOffset now, OperationRequest request, OperatorSession? session, EdgeRefusal refusal)
    {
        try
        {
            records.RecordAudit(new AuditEntry(now, $"{request.Service}.{request.Operation}", AuditEntry.Refused, session?.OperatorId, null, new JsonObject
            {
                ["requestId"] = request.RequestId,
                ["service"] = request.Service,
                ["operation"] = request.Operation,
                ["training"] = training.Terminal || session?.Training == true,
                ["offline"] = !hub.IsOnline,
                ["reason"] = refusal.Reason,
                ["message"] = refusal.MessageEn,
            }));
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            // The refusal still reaches the clerk; the audit failure is logged for IT.
            logger.LogError(e, "Could not audit a refusal ({Reason})", refusal.Reason);
        }
    }

    public void Dispose() => _writeLock.Dispose();

    private static string? NullIfEmpty(string value) => string.IsNullOrEmpty(value) ? null : value;

    private static OperationReply Reply(string requestId, StoredTransaction stored, bool duplicate, IReadOnlyDictionary<string, string>? result, string messageEn, string messageJa) =>
        Reply(requestId, stored.Seq, stored.CardRef, stored.Member, stored.Training, stored.LocalTime, duplicate, result, messageEn, messageJa);

    private static OperationReply Reply(
        string requestId, long sequence, string? cardRef, string? member, bool training, DateTimeOffset recordedAt, bool duplicate,
        IReadOnlyDictionary<string, string>? result, string messageEn, string messageJa)
    {
        var reply = new OperationReply
        {
            RequestId = requestId,
            Sequence = sequence,
            Duplicate = duplicate,
            CardRef = cardRef ?? string.Empty,
            Member = member ?? string.Empty,
            MessageEn = messageEn,
            MessageJa = messageJa,
            Training = training,
            RecordedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(recordedAt),
        };
        foreach (var (key, value) in result ?? new Dictionary<string, string>())
        {
            reply.Result[key] = value;
        }
        return reply;
    }
}
