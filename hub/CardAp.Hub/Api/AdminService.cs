using System.Text.Json;
using System.Text.Json.Nodes;
using CardAp.Hub.Errors;
using CardAp.Hub.Import;
using CardAp.Hub.Security;
using CardAp.Hub.Store;
using CardAp.Shared.Domain;
using Grpc.Core;

namespace CardAp.Hub.Api;

/// <summary>
/// The admin API. Every RPC takes the caller from the client certificate and passes
/// <see cref="TenantScope"/> before it touches a row, so a caller never reads or writes a
/// municipality it may not act for.
/// </summary>
public sealed class AdminService(ICallerAccessor callers, IMasterStore master, MunicipalityStore municipalities, RegistrationImporter importer) : Admin.AdminBase
{
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
        return Task.FromResult(reply);
    }

    public override async Task<AddMunicipalityReply> AddMunicipality(AddMunicipalityRequest request, ServerCallContext context)
    {
        var caller = TenantScope.RequireAdmin(callers.GetCaller(context));
        if (caller.Role != CallerRole.CentralIt)
        {
            throw HubRefusal.PermissionDenied("NotCentralIt", "Only central IT may register a municipality on the hub.", "市町村の登録は中央のシステム管理者のみ行えます。");
        }
        var code = TenantScope.Require(caller, request.Municipality);
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
        {
            throw Invalid("name", "is required, up to 100 characters.", "必須です(100文字以内)。");
        }
        await municipalities.AddAsync(code, request.Name.Trim(), context.CancellationToken);
        return new AddMunicipalityReply();
    }

    public override async Task<MasterWriteReply> PutMaster(PutMasterRequest request, ServerCallContext context)
    {
        var code = Scope(context, request.Municipality);
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
        var write = await StoreCall(() => master.UpsertAsync(code, request.Kind, request.Key, payload, context.CancellationToken));
        return new MasterWriteReply { Changed = write.Changed, ChangeSeq = write.ChangeSeq };
    }

    public override async Task<MasterWriteReply> DeleteMaster(DeleteMasterRequest request, ServerCallContext context)
    {
        var code = Scope(context, request.Municipality);
        var write = await StoreCall(() => master.DeleteAsync(code, request.Kind, request.Key, context.CancellationToken));
        return new MasterWriteReply { Changed = write.Changed, ChangeSeq = write.ChangeSeq };
    }

    public override async Task<ListMasterReply> ListMaster(ListMasterRequest request, ServerCallContext context)
    {
        var code = Scope(context, request.Municipality);
        var rows = await StoreCall(() => master.ListAsync(code, request.Kind, context.CancellationToken));
        var reply = new ListMasterReply();
        reply.Rows.AddRange(rows.Select(r => new MasterRowMessage { Kind = r.Kind, Key = r.Key, PayloadJson = r.PayloadJson ?? string.Empty, ChangeSeq = r.ChangeSeq }));
        return reply;
    }

    public override async Task<ImportRegistrationsReply> ImportRegistrations(ImportRegistrationsRequest request, ServerCallContext context)
    {
        var code = Scope(context, request.Municipality);
        ImportPlan plan;
        try
        {
            plan = request.DryRun
                ? await importer.PlanAsync(code, request.File.Memory, context.CancellationToken)
                : await importer.ApplyAsync(code, request.File.Memory, context.CancellationToken);
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
        reply.BadRows.AddRange(plan.BadRows.Select(b => new BadRowMessage { Line = b.Line, Problem = b.Problem }));
        return reply;
    }

    // Master data is written by administrators only; terminals get their data through sync.
    private MunicipalityCode Scope(ServerCallContext context, string municipality) =>
        TenantScope.Require(TenantScope.RequireAdmin(callers.GetCaller(context)), municipality);

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
    }

    private static RpcException Invalid(string field, string problemEn, string problemJa) =>
        HubRefusal.Create(StatusCode.InvalidArgument, "InvalidArgument", $"{field}: {problemEn}", $"{field}: {problemJa}");
}
