using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using CardAp.Hub.Errors;
using CardAp.Hub.Import;
using CardAp.Hub.Security;
using CardAp.Hub.Store;
using CardAp.Hub.Validation;
using CardAp.Shared.Domain;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace CardAp.Hub.Api;

/// <summary>
/// The admin API. Every RPC takes the caller from the client certificate and passes
/// <see cref="TenantScope"/> before it touches a row, so a caller never reads or writes a
/// municipality it may not act for. (Revoked callers never get here: <see cref="RevocationInterceptor"/>.)
/// Every write appends to the hub audit in the transaction of the change it describes.
/// </summary>
public sealed class AdminService(
    ICallerAccessor callers,
    IMasterStore master,
    MunicipalityStore municipalities,
    RegistrationImporter importer,
    HubAuditStore audit,
    RevokedCertificateStore revocations,
    MasterValidator validator) : Admin.AdminBase
{
    public const int DefaultAuditPage = 100;

    private const string NotCentralItReason = "NotCentralIt";
    public override Task<WhoAmIReply> WhoAmI(WhoAmIRequest request, ServerCallContext context)
    {
        var caller = callers.GetCaller(context);
        var reply = new WhoAmIReply
        {
            Kind = caller.Kind == CallerKind.Terminal ? "terminal" : "admin",
            Id = caller.Id,
            Role = caller.Role.ToWireName(),
        };
        reply.Municipalities.AddRange(caller.Municipalities.Select(m => m.Value));
        if (context.GetHttpContext().Connection.ClientCertificate is { } certificate)
        {
            reply.CertificateSerial = RevokedCertificateStore.NormalizeSerial(certificate.SerialNumber);
        }
        return Task.FromResult(reply);
    }

    public override async Task<AddMunicipalityReply> AddMunicipality(AddMunicipalityRequest request, ServerCallContext context)
    {
        var caller = RequireCentralIt(context, "Only central IT may register a municipality on the hub.", "市町村の登録は中央のシステム管理者のみ行えます。");
        var code = TenantScope.Require(caller, request.Municipality);
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
        {
            throw Invalid("name", "is required, up to 100 characters.", "必須です(100文字以内)。");
        }
        var name = request.Name.Trim();
        await municipalities.AddAsync(code, name,
            [new HubAuditEntry(code, caller.Id, "municipality.add", HubAuditStore.Subject(name), new JsonObject { ["name"] = name })],
            context.CancellationToken);
        return new AddMunicipalityReply();
    }

    public override async Task<MasterWriteReply> PutMaster(PutMasterRequest request, ServerCallContext context)
    {
        var (caller, code) = Scope(context, request.Municipality);
        JsonObject payload;
        try
        {
            payload = JsonNode.Parse(request.PayloadJson) as JsonObject
                ?? throw Invalid("payload_json", "must be a JSON object.", "JSONオブジェクトで指定してください。");
        }
        catch (JsonException e)
        {
            throw Invalid("payload_json", "is not valid JSON: " + e.Message, "JSONとして読み取れません。");
        }
        // A bad tuning or hours row is refused here, naming each field, instead of failing at every edge later.
        await validator.EnsureValidAsync(code, request.Kind, request.Key, payload, context.CancellationToken);
        var write = (await StoreCall(() => master.ApplyAsync(code, [MasterEdit.Upsert(request.Kind, request.Key, payload)],
            [MasterAudit(code, caller, "master.put", request.Kind, request.Key)], context.CancellationToken)))[0];
        return new MasterWriteReply { Changed = write.Changed, ChangeSeq = write.ChangeSeq };
    }

    public override async Task<MasterWriteReply> DeleteMaster(DeleteMasterRequest request, ServerCallContext context)
    {
        var (caller, code) = Scope(context, request.Municipality);
        var write = (await StoreCall(() => master.ApplyAsync(code, [MasterEdit.Delete(request.Kind, request.Key)],
            [MasterAudit(code, caller, "master.delete", request.Kind, request.Key)], context.CancellationToken)))[0];
        return new MasterWriteReply { Changed = write.Changed, ChangeSeq = write.ChangeSeq };
    }

    public override async Task<ListMasterReply> ListMaster(ListMasterRequest request, ServerCallContext context)
    {
        var (_, code) = Scope(context, request.Municipality);
        var rows = await StoreCall(() => request.KeyPrefix.Length == 0
            ? master.ListAsync(code, request.Kind, context.CancellationToken)
            : master.ListByKeyPrefixAsync(code, request.Kind, request.KeyPrefix, context.CancellationToken));
        var reply = new ListMasterReply();
        reply.Rows.AddRange(rows.Select(r => new MasterRowMessage { Kind = r.Kind, Key = r.Key, PayloadJson = r.PayloadJson ?? string.Empty, ChangeSeq = r.ChangeSeq }));
        return reply;
    }

    public override async Task<ImportRegistrationsReply> ImportRegistrations(ImportRegistrationsRequest request, ServerCallContext context)
    {
        var (caller, code) = Scope(context, request.Municipality);
        ImportPlan plan;
        try
        {
            plan = request.DryRun
                ? await importer.PlanAsync(code, request.File.Memory, context.CancellationToken)
                : await importer.ApplyAsync(code, request.File.Memory, applied => [ImportAudit(code, caller, applied, request.File.Span)], context.CancellationToken);
        }
        catch (FormatException e)
        {
            throw Invalid("file", e.Message, "ファイルを読み取れません: " + e.Message);
        }
        var reply = new ImportRegistrationsReply
        {
            Adds = plan.Adds.Count,
            Changes = plan.Changes.Count,
            Removals = plan.Removals.Count,
            Unchanged = plan.Unchanged,
            Applied = !request.DryRun,
            Encoding = CsvText.Decode(request.File.Span).EncodingName,
        };
        reply.BadRows.AddRange(plan.BadRows.Select(b => new BadRowMessage { Line = b.Line, Problem = b.Problem, ProblemJa = b.ProblemJa }));
        return reply;
    }

    public override async Task<MoveResidentReply> MoveResident(MoveResidentRequest request, ServerCallContext context)
    {
        var (caller, from) = Scope(context, request.FromMunicipality);
        var to = TenantScope.Require(caller, request.ToMunicipality);
        if (from == to)
        {
            throw Invalid("to_municipality", "must differ from from_municipality.", "転出元と異なる市町村を指定してください。");
        }
        var card = Parse("card_number", request.CardNumber, CardNumber.Parse);
        var newCard = request.NewCardNumber.Length == 0 ? card : Parse("new_card_number", request.NewCardNumber, CardNumber.Parse);
        var newMembers = request.NewMemberNumbers.ToDictionary(
            pair => Parse("new_member_numbers", pair.Key, ServiceId.Parse).Value,
            pair => Parse("new_member_numbers", pair.Value, MemberNumber.Parse).Value,
            StringComparer.Ordinal);

        var rows = await StoreCall(() => master.ListByKeyPrefixAsync(from, MasterKinds.Registration, card.Value + "/", context.CancellationToken));
        if (rows.Count == 0)
        {
            throw HubRefusal.Create(StatusCode.NotFound, "NoRegistrations",
                $"Card {card} has no registration in municipality {from}.", $"カード番号{card}は団体コード{from}に登録がありません。");
        }
        var services = rows.Select(r => r.Key[(card.Value.Length + 1)..]).ToList();
        if (newMembers.Keys.FirstOrDefault(service => !services.Contains(service)) is { } stray)
        {
            throw Invalid("new_member_numbers", $"card {card} is not registered in service '{stray}' in {from}.", $"カード番号{card}はサービス'{stray}'に登録されていません。");
        }

        // Each edit expects the row as read here, so a concurrent import or edit on either side
        // aborts the whole move instead of overwriting a registration or moving a stale one.
        var moveOut = rows.Select(r => MasterEdit.Delete(r.Kind, r.Key) with { ExpectedSeq = r.ChangeSeq }).ToList();
        var moveIn = rows.Zip(services, (row, service) =>
        {
            var payload = row.Payload()!;
            payload["cardNumber"] = newCard.Value;
            if (newMembers.TryGetValue(service, out var member))
            {
                payload["member"] = member;
            }
            return MasterEdit.Upsert(MasterKinds.Registration, $"{newCard.Value}/{service}", payload) with { ExpectedSeq = 0 };
        }).ToList();
        var servicesJson = new JsonArray(services.Select(service => (JsonNode?)service).ToArray());
        HubAuditEntry[] entries =
        [
            new(from, caller.Id, "resident.move-out", HubAuditStore.Subject($"card {card} to {to.Value}"),
                new JsonObject { ["to"] = to.Value, ["toCardNumber"] = newCard.Value, ["services"] = servicesJson.DeepClone() }),
            new(to, caller.Id, "resident.move-in", HubAuditStore.Subject($"card {newCard} from {from.Value}"),
                new JsonObject { ["from"] = from.Value, ["fromCardNumber"] = card.Value, ["services"] = servicesJson.DeepClone() }),
        ];

        var writes = await StoreCall(async () =>
        {
            try
            {
                return await master.ApplyAsync(
                    new Dictionary<MunicipalityCode, IReadOnlyList<MasterEdit>> { [from] = moveOut, [to] = moveIn }, entries, context.CancellationToken);
            }
            catch (MasterConflictException e) when (e.Municipality == to && e.ExpectedSeq == 0)
            {
                throw HubRefusal.Create(StatusCode.FailedPrecondition, "RegistrationExists",
                    $"Municipality {to} already has registration {e.Key}; nothing was moved.",
                    $"団体コード{to}には登録{e.Key}が既にあるため、移動しませんでした。");
            }
        });
        var reply = new MoveResidentReply
        {
            FromChangeSeq = writes[from].Max(w => w.ChangeSeq),
            ToChangeSeq = writes[to].Max(w => w.ChangeSeq),
        };
        reply.Services.AddRange(services);
        return reply;
    }

    public override async Task<ListAuditReply> ListAudit(ListAuditRequest request, ServerCallContext context)
    {
        var (_, code) = Scope(context, request.Municipality);
        if (request.Limit is < 0 or > HubAuditStore.MaxPageSize)
        {
            throw Invalid("limit", $"must be 1 to {HubAuditStore.MaxPageSize} (0: {DefaultAuditPage}).", $"1から{HubAuditStore.MaxPageSize}で指定してください(0は{DefaultAuditPage})。");
        }
        var records = await audit.ListAsync(code, request.Limit == 0 ? DefaultAuditPage : request.Limit, context.CancellationToken);
        var reply = new ListAuditReply();
        reply.Entries.AddRange(records.Select(r => new AuditEntryMessage
        {
            Id = r.Id,
            At = Timestamp.FromDateTimeOffset(r.At),
            Actor = r.Actor,
            Action = r.Action,
            Subject = r.Subject ?? string.Empty,
            DetailJson = r.DetailJson,
        }));
        return reply;
    }

    public override async Task<RevokeCertificateReply> RevokeCertificate(RevokeCertificateRequest request, ServerCallContext context)
    {
        var caller = RequireCentralIt(context, "Only central IT may revoke a certificate.", "証明書の失効は中央のシステム管理者のみ行えます。");
        var serial = Parse("serial", request.Serial, RevokedCertificateStore.NormalizeSerial);
        var subject = Parse("subject", request.Subject, CallerIdentity.FromUri);
        // Revoking a certificate is acting for every municipality it names.
        foreach (var municipality in subject.Municipalities)
        {
            TenantScope.Require(caller, municipality);
        }
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > RevokedCertificateStore.MaxReasonLength)
        {
            throw Invalid("reason", $"is required, up to {RevokedCertificateStore.MaxReasonLength} characters.", $"必須です({RevokedCertificateStore.MaxReasonLength}文字以内)。");
        }
        var reason = request.Reason.Trim();
        // A municipality not (yet) on the hub has no audit; the revocation row itself records who, when and why.
        var audited = new List<MunicipalityCode>();
        foreach (var municipality in subject.Municipalities)
        {
            if (await municipalities.GetAsync(municipality, context.CancellationToken) is not null)
            {
                audited.Add(municipality);
            }
        }
        var entries = audited.Select(m => new HubAuditEntry(m, caller.Id, "certificate.revoke", HubAuditStore.Subject($"{subject.Kind.ToString().ToLowerInvariant()} {subject.Id}"),
            new JsonObject { ["serial"] = serial, ["subject"] = subject.ToUriString(), ["reason"] = reason })).ToList();
        var (revocation, added) = await revocations.RevokeAsync(serial, subject.ToUriString(), reason, caller.Id, entries, context.CancellationToken);
        var reply = new RevokeCertificateReply
        {
            NewlyRevoked = added,
            Serial = revocation.Serial,
            RevokedAt = Timestamp.FromDateTimeOffset(revocation.RevokedAt),
        };
        if (added)
        {
            reply.AuditedMunicipalities.AddRange(audited.Select(m => m.Value));
        }
        return reply;
    }

    // Master data is written by administrators only; terminals get their data through sync.
    private (CallerIdentity Caller, MunicipalityCode Municipality) Scope(ServerCallContext context, string municipality)
    {
        var caller = TenantScope.RequireAdmin(callers.GetCaller(context));
        return (caller, TenantScope.Require(caller, municipality));
    }

    private CallerIdentity RequireCentralIt(ServerCallContext context, string messageEn, string messageJa)
    {
        var caller = TenantScope.RequireAdmin(callers.GetCaller(context));
        if (caller.Role != CallerRole.CentralIt)
        {
            throw HubRefusal.PermissionDenied(NotCentralItReason, messageEn, messageJa);
        }
        return caller;
    }

    // The row's identity, not its payload: registrations and operators carry personal data, which stays in the master rows.
    private static HubAuditEntry MasterAudit(MunicipalityCode municipality, CallerIdentity caller, string action, string kind, string key) =>
        new(municipality, caller.Id, action, HubAuditStore.Subject($"{kind}/{key}"), new JsonObject { ["kind"] = kind, ["key"] = key });

    private static HubAuditEntry ImportAudit(MunicipalityCode municipality, CallerIdentity caller, ImportPlan plan, ReadOnlySpan<byte> file) =>
        new(municipality, caller.Id, "registrations.import",
            HubAuditStore.Subject($"registrations file: {plan.Adds.Count} added, {plan.Changes.Count} changed, {plan.Removals.Count} removed"),
            new JsonObject
            {
                ["adds"] = plan.Adds.Count,
                ["changes"] = plan.Changes.Count,
                ["removals"] = plan.Removals.Count,
                ["unchanged"] = plan.Unchanged,
                ["badRows"] = plan.BadRows.Count,
                ["bytes"] = file.Length,
                // Names the exact file without keeping its personal data.
                ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(file)),
            });

    private static T Parse<T>(string field, string text, Func<string, T> parse)
    {
        try
        {
            return parse(text);
        }
        catch (FormatException e)
        {
            throw Invalid(field, e.Message, "形式が正しくありません: " + e.Message);
        }
    }

    // The store refuses bad kinds/keys and unknown municipalities with ArgumentException / UnknownMunicipalityException.
    private static async Task<T> StoreCall<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (UnknownMunicipalityException e)
        {
            throw HubRefusal.Create(StatusCode.FailedPrecondition, "UnknownMunicipality",
                $"Municipality {e.Code} is not registered on this hub.", $"市町村{e.Code}はこのハブに登録されていません。");
        }
        catch (ArgumentException e)
        {
            throw Invalid(e.ParamName ?? "request", e.Message, "入力に誤りがあります: " + e.Message);
        }
        catch (MasterConflictException e)
        {
            throw HubRefusal.Create(StatusCode.Aborted, "ConcurrentChange",
                $"Master row {e.Kind}/{e.Key} of {e.Municipality} changed while this request was being made; nothing was written, try again.",
                $"処理中にマスタ{e.Kind}/{e.Key}(団体コード{e.Municipality})が変更されたため、何も書き込みませんでした。もう一度実行してください。");
        }
    }

    private static RpcException Invalid(string field, string problemEn, string problemJa) =>
        HubRefusal.Create(StatusCode.InvalidArgument, "InvalidArgument", $"{field}: {problemEn}", $"{field}: {problemJa}");
}
