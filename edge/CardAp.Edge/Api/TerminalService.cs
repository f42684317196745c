using CardAp.Shared.Domain;
using System.Reflection;
using System.Text.Json.Nodes;
using CardAp.Card.Application;
using CardAp.Card.Verification;
using CardAp.Edge.Backup;
using CardAp.Edge.Errors;
using CardAp.Edge.Hub;
using CardAp.Edge.Master;
using CardAp.Edge.Operators;
using CardAp.Edge.Readers;
using CardAp.Edge.Services;
using CardAp.Edge.Store;
using CardAp.Edge.Sync;
using CardAp.Sync.Edge;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace CardAp.Edge.Api;

/// <summary>The terminal gRPC API: thin; the work happens in the pipeline, sessions and store.</summary>
public sealed class TerminalService(
    ReaderEventHub readerEvents,
    OperatorSessions sessions,
    CardIdentification identification,
    ServiceCatalog catalog,
    ServiceHoursProvider hours,
    OperationPipeline pipeline,
    TrainingMode training,
    HubConnectivity hub,
    LocalRecords records,
    MasterData master,
    OutboxState outbox,
    EdgeDatabase database,
    MasterSnapshotImporter importer,
    BackupService backup,
    SyncBackgroundService sync,
    Microsoft.Extensions.Options.IOptions<EdgeStoreOptions> storeOptions,
    IHostApplicationLifetime lifetime,
    TimeProvider clock) : Terminal.TerminalBase
{
    // A status figure, not a list: beyond this many the clerk's next step is the same (call IT).
    private const int AwaitingHubShown = 1000;

    public override async Task WatchReaders(WatchReadersRequest request, IServerStreamWriter<ReaderEventMessage> responseStream, ServerCallContext context)
    {
        // A front-end watches all day, and a graceful shutdown waits for open calls: the watch ends
        // when the host starts stopping, or the UPS's shutdown would wait its whole deadline for it.
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            await foreach (var e in readerEvents.SubscribeAsync(watching.Token))
            {
                await responseStream.WriteAsync(new ReaderEventMessage
                {
                    Kind = e.Kind.ToString(),
                    Reader = e.ReaderName,
                    Atr = Google.Protobuf.ByteString.CopyFrom(e.Atr ?? []),
                    At = Timestamp.FromDateTimeOffset(e.At),
                }, watching.Token);
            }
        }
        catch (OperationCanceledException) when (watching.IsCancellationRequested)
        {
            // the front-end went away, or the terminal is shutting down: the stream simply ends
        }
    }

    public override Task<SignInReply> SignIn(SignInRequest request, ServerCallContext context)
    {
        var now = Now;
        try
        {
            if (request.Pin.Length != 4 || !request.Pin.All(char.IsAsciiDigit))
            {
                throw EdgeRefusal.InvalidField("pin", "must be 4 digits.", "4桁の数字で入力してください。");
            }
            var identity = identification.IdentifyResident(request.Reader, request.Pin, IdentificationMethod.CardAp);
            var op = identity.Operator ?? throw EdgeRefusal.Rule("NotAnOperatorCard",
                "This is not an operator identification card. Please use your operator card to sign in.",
                "操作者識別カードではありません。操作者カードでサインインしてください。");
            if (master.Get<OperatorStatusRow>(MasterKinds.OperatorStatus, op.Id.Value) is { } standing
                && !standing.Status.Equals("active", StringComparison.OrdinalIgnoreCase))
            {
                throw new EdgeRefusal(StatusCode.PermissionDenied, "OperatorRevoked",
                    $"Operator {op.Id} may no longer use this system (status: {standing.Status}). Please contact the system administrator.",
                    $"操作者{op.Id}は現在このシステムを利用できません(状態: {standing.Status})。システム管理者に連絡してください。");
            }
            if (!Roles.All.Contains(op.Role.Value))
            {
                throw new EdgeRefusal(StatusCode.PermissionDenied, "UnknownRole",
                    $"The role on this operator card ({op.Role}) is not known to this terminal.",
                    $"この操作者カードの権限({op.Role})はこの端末では使用できません。");
            }
            var session = sessions.Start(op.Id.Value, op.Role.Value, request.Reader, training.Terminal);
            records.RecordAudit(new AuditEntry(now, "sign-in", "ok", op.Id.Value, identity.CardNumber?.Value, new JsonObject { ["reader"] = request.Reader, ["role"] = op.Role.Value }));
            return Task.FromResult(new SignInReply
            {
                Session = session.Token,
                OperatorId = session.OperatorId,
                Role = session.Role,
                ExpiresAt = Timestamp.FromDateTimeOffset(sessions.ExpiresAt(session)),
                Training = session.Training,
            });
        }
        catch (EdgeRefusal refusal)
        {
            records.RecordAudit(new AuditEntry(now, "sign-in", "refused", null, null, new JsonObject { ["reader"] = request.Reader, ["reason"] = refusal.Reason }));
            throw;
        }
    }

    public override Task<SignOutReply> SignOut(SignOutRequest request, ServerCallContext context)
    {
        var session = sessions.Require(request.Session);
        sessions.End(session.Token);
        records.RecordAudit(new AuditEntry(Now, "sign-out", "ok", session.OperatorId, null, []));
        return Task.FromResult(new SignOutReply());
    }

    public override Task<IdentifyReply> Identify(IdentifyRequest request, ServerCallContext context)
    {
        if (!string.IsNullOrEmpty(request.Session))
        {
            sessions.Require(request.Session);
        }
        IdentificationMethod? method = request.Method switch
        {
            "" => null,
            "cardap" => IdentificationMethod.CardAp,
            "jpki" => IdentificationMethod.JpkiLink,
            _ => throw EdgeRefusal.InvalidField("method", "must be empty, \"cardap\" or \"jpki\".", "空、\"cardap\"、\"jpki\" のいずれかを指定してください。"),
        };
        if (request.Pin.Length > 0 && (request.Pin.Length != 4 || !request.Pin.All(char.IsAsciiDigit)))
        {
            throw EdgeRefusal.InvalidField("pin", "must be 4 digits.", "4桁の数字で入力してください。");
        }
        var who = identification.IdentifyResident(request.Reader, request.Pin.Length > 0 ? request.Pin : null, method);
        var reply = new IdentifyReply
        {
            Method = who.Method == IdentificationMethod.CardAp ? "cardap" : "jpki",
            CardRef = who.CardNumber?.Value ?? who.CertificateSerial ?? string.Empty,
            Municipality = who.Municipality?.Value ?? string.Empty,
            PinVerified = who.PinVerified,
        };
        reply.Memberships.AddRange(who.Services.Select(s => new Membership { Service = s.Service.Value, Member = s.Member.Value, Active = s.Status == ServiceStatus.Active }));
        return Task.FromResult(reply);
    }

    public override Task<ListServicesReply> ListServices(ListServicesRequest request, ServerCallContext context)
    {
        var reply = new ListServicesReply();
        var now = Now;
        foreach (var service in catalog.Services.Values.OrderBy(s => s.Module.Id, StringComparer.Ordinal))
        {
            var status = hours.Status(service, now);
            var info = new ServiceInfo
            {
                Id = service.Module.Id,
                NameEn = service.Module.NameEn,
                NameJa = service.Module.NameJa,
                OpenNow = status.IsOpen,
                HoursMessageEn = status.MessageEn,
                HoursMessageJa = status.MessageJa,
            };
            foreach (var operation in service.Module.Operations)
            {
                var op = new OperationInfo
                {
                    Name = operation.Name,
                    PinRequired = operation.PinRequired,
                    KioskAllowed = service.KioskAllowed(operation),
                    OfflinePolicy = service.OfflinePolicy(operation).ToString(),
                    NeedsMembership = operation.NeedsMembership,
                };
                op.Roles.AddRange(operation.Roles);
                op.Fields.AddRange(operation.FieldList.Select(f => f.Name));
                op.FieldDetails.AddRange(operation.FieldList.Select(FieldDetails));
                info.Operations.Add(op);
            }
            reply.Services.Add(info);
        }
        return Task.FromResult(reply);
    }

    private static FieldInfo FieldDetails(FieldDefinition field)
    {
        var info = new FieldInfo { Name = field.Name, Type = field.Type.ToString(), Required = field.Required, MaxLength = field.MaxLength };
        if (field.Type == FieldType.Integer && field.Min != long.MinValue)
        {
            info.Min = field.Min;
        }
        if (field.Type == FieldType.Integer && field.Max != long.MaxValue)
        {
            info.Max = field.Max;
        }
        return info;
    }

    public override Task<OperationReply> Execute(OperationRequest request, ServerCallContext context) =>
        pipeline.ExecuteAsync(request, context.CancellationToken);

    public override Task<StatusReply> GetStatus(StatusRequest request, ServerCallContext context)
    {
        var reply = new StatusReply
        {
            TerminalId = storeOptions.Value.TerminalId,
            Online = hub.IsOnline,
            Version = typeof(TerminalService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
            SchemaVersion = database.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Training = training.Terminal,
            SignedInSessions = sessions.Count,
        };
        if (outbox.LastSync is { } lastSync)
        {
            reply.LastSync = Timestamp.FromDateTimeOffset(lastSync);
        }
        reply.Backlog.AddRange(outbox.Backlog().Select(b => new StreamBacklog { Stream = b.Stream, Pending = b.Pending }));
        reply.Sync = SyncState(sync.Status);
        // The outbox as of now, not as of the last sync.
        reply.Sync.Backlog = reply.Backlog.Sum(b => b.Pending);
        reply.Sync.AwaitingHub = records.AwaitingDecision(long.MaxValue, AwaitingHubShown).Count;
        return Task.FromResult(reply);
    }

    public override async Task<SyncNowReply> SyncNow(SyncNowRequest request, ServerCallContext context)
    {
        var outcome = await sync.SyncNowAsync(context.CancellationToken);
        var pushed = outcome.Pushed.Values.Sum();
        var reply = new SyncNowReply
        {
            Succeeded = outcome.Succeeded,
            FinishedAt = Timestamp.FromDateTimeOffset(outcome.FinishedAt),
            MasterChanges = outcome.ChangesApplied,
            SnapshotRows = outcome.SnapshotRows,
            Quarantined = outcome.Quarantined.Count,
            MessageEn = outcome.Error?.MessageEn
                ?? $"Sync completed: {pushed} record(s) sent, {outcome.ChangesApplied + outcome.SnapshotRows} master data change(s) received.",
            MessageJa = outcome.Error?.MessageJa
                ?? $"同期が完了しました。記録{pushed}件を送信し、マスタデータの変更{outcome.ChangesApplied + outcome.SnapshotRows}件を受信しました。",
        };
        if (outcome.Error is { } error)
        {
            reply.Problem = Problem(error);
        }
        reply.Pushed.AddRange(outcome.Pushed.Select(p => new StreamBacklog { Stream = p.Key, Pending = p.Value }));
        return reply;
    }

    private static SyncState SyncState(EdgeSyncStatus status)
    {
        var engine = status.Engine;
        var state = new SyncState
        {
            Configured = status.Configured,
            Running = engine.Running,
            Phase = engine.Progress?.Phase ?? string.Empty,
            ProgressDone = engine.Progress?.Done ?? 0,
            ProgressTotal = engine.Progress?.Total ?? 0,
            ConsecutiveFailures = engine.ConsecutiveFailures,
            Backlog = engine.Backlog,
            ClockSkewKnown = engine.ClockSkew is not null,
            ClockSkewMs = (long)(engine.ClockSkew?.TotalMilliseconds ?? 0),
            MasterCheckpoint = engine.MasterCheckpoint,
        };
        if (engine.LastSuccess is { } success)
        {
            state.LastSuccess = Timestamp.FromDateTimeOffset(success);
        }
        if (engine.LastAttempt is { } attempt)
        {
            state.LastAttempt = Timestamp.FromDateTimeOffset(attempt);
        }
        if (status.NextAttempt is { } next)
        {
            state.NextAttempt = Timestamp.FromDateTimeOffset(next);
        }
        if (engine.LastError is { } error)
        {
            state.LastError = Problem(error);
        }
        return state;
    }

    private static SyncProblem Problem(SyncError error) => new() { Reason = error.Reason, MessageEn = error.MessageEn, MessageJa = error.MessageJa };

    public override Task<SetTrainingModeReply> SetTrainingMode(SetTrainingModeRequest request, ServerCallContext context)
    {
        var session = sessions.Require(request.Session);
        if (request.TerminalWide)
        {
            RequireSiteAdmin(session);
            training.Terminal = request.Enabled;
        }
        else
        {
            session.Training = request.Enabled;
        }
        records.RecordAudit(new AuditEntry(Now, "setting-changed", "ok", session.OperatorId, "training",
            new JsonObject { ["terminalWide"] = request.TerminalWide, ["enabled"] = request.Enabled }));
        return Task.FromResult(new SetTrainingModeReply { TerminalTraining = training.Terminal, SessionTraining = session.Training });
    }

    public override Task<ImportMasterSnapshotReply> ImportMasterSnapshot(ImportMasterSnapshotRequest request, ServerCallContext context)
    {
        var session = sessions.Require(request.Session);
        RequireSiteAdmin(session);
        try
        {
            var rows = importer.Import(request.Snapshot.Memory, session.OperatorId);
            return Task.FromResult(new ImportMasterSnapshotReply { Rows = rows });
        }
        catch (MasterSnapshotException e)
        {
            throw EdgeRefusal.InvalidField("snapshot", e.Message, "マスタデータのファイルに誤りがあるため、取り込みませんでした: " + e.Message);
        }
    }

    public override async Task<BackupNowReply> BackupNow(BackupNowRequest request, ServerCallContext context)
    {
        var session = sessions.Require(request.Session);
        RequireSiteAdmin(session);
        BackupResult result;
        try
        {
            result = await backup.BackupNowAsync(context.CancellationToken);
        }
        catch (BackupException e)
        {
            throw new EdgeRefusal(StatusCode.Internal, "BackupFailed",
                "The backup failed and was discarded: " + e.Message + " The database itself is unchanged; please tell the system administrator.",
                "バックアップに失敗したため破棄しました。データベース自体は変更されていません。システム管理者に連絡してください。");
        }
        records.RecordAudit(new AuditEntry(Now, "backup", "ok", session.OperatorId, result.Path, []));
        return new BackupNowReply { Path = result.Path, Bytes = result.Bytes };
    }

    private DateTimeOffset Now => clock.GetUtcNow().ToOffset(CardDates.JapanOffset);

    private static void RequireSiteAdmin(OperatorSession session)
    {
        if (session.Role != Roles.SiteAdmin)
        {
            throw new EdgeRefusal(StatusCode.PermissionDenied, "RoleNotPermitted",
                "Only a site administrator may do this.", "この操作はサイト管理者のみ行えます。");
        }
    }
}
