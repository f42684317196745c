using System.Globalization;
using CardAp.Hub.Errors;
using CardAp.Hub.Security;
using CardAp.Hub.Store;
using CardAp.Hub.Store.Records;
using CardAp.Hub.Store.Sync;
using CardAp.Shared.Domain;
using CardAp.Sync;
using CardAp.Sync.Contracts;
using CardAp.Sync.Hub;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using SyncContract = CardAp.Sync.Contracts.Sync;

namespace CardAp.Hub.Api;

/// <summary>
/// The sync API (sync.proto, ADR 0010), for terminals only. The terminal and its municipality come
/// from the client certificate; a request never names them, so a terminal can only ever read and
/// write its own municipality's data. (Revoked or retired terminals never get here: <see cref="RevocationInterceptor"/>.)
/// The hub keeps no state between calls: any instance answers any call.
/// </summary>
public sealed class SyncService(
    ICallerAccessor callers,
    IMasterStore master,
    SyncFeed feed,
    SyncIngest ingest,
    TerminalContacts contacts,
    TimeProvider clock,
    ILogger<SyncService> logger) : SyncContract.SyncBase
{
    public const string NotATerminalReason = "NotATerminal";
    public const string UnknownMunicipalityReason = "UnknownMunicipality";

    /// <summary>Reinitialise reasons (PullReply.reinitialise_reason).</summary>
    public const string BehindHorizon = "BehindHorizon";
    public const string CheckpointAhead = "CheckpointAhead";

    public const int MaxSoftwareVersionLength = 64;

    public override async Task<HelloReply> Hello(HelloRequest request, ServerCallContext context)
    {
        var terminal = Terminal(context);
        if (string.IsNullOrWhiteSpace(request.SoftwareVersion) || request.SoftwareVersion.Length > MaxSoftwareVersionLength)
        {
            throw Invalid("software_version", $"is required, up to {MaxSoftwareVersionLength} characters.", $"必須です({MaxSoftwareVersionLength}文字以内)。");
        }
        if (request.Backlog < 0)
        {
            throw Invalid("backlog", "must not be negative.", "負の値は指定できません。");
        }
        if (request.Checkpoint < 0)
        {
            throw Invalid("checkpoint", "must not be negative.", "負の値は指定できません。");
        }
        var terminalTime = Time(request.TerminalTime, "terminal_time");
        var cancel = context.CancellationToken;
        return await Known(async () =>
        {
            var head = await feed.HeadAsync(terminal.Municipality, cancel);
            await contacts.RecordAsync(terminal.Municipality, terminal.Id, request.SoftwareVersion, request.Backlog, terminalTime, cancel);
            var profile = await ProfileAsync(terminal, cancel);
            var reply = new HelloReply
            {
                HubTime = Timestamp.FromDateTimeOffset(clock.GetUtcNow()),
                Municipality = terminal.Municipality.Value,
                Terminal = terminal.Id,
                Scope = profile.ScopeId,
                LastSeq = head.LastSeq,
                Horizon = head.Horizon,
            };
            reply.Streams.AddRange((await ingest.PositionsAsync(terminal.Municipality, terminal.Id, cancel))
                .Select(p => new StreamPosition { Stream = p.Stream, Through = p.Through }));
            return reply;
        }, terminal);
    }

    public override async Task<PullReply> Pull(PullRequest request, ServerCallContext context)
    {
        var terminal = Terminal(context);
        var limit = Page(request.Limit, "limit");
        if (request.AfterSeq < 0)
        {
            throw Invalid("after_seq", "must not be negative.", "負の値は指定できません。");
        }
        var cancel = context.CancellationToken;
        return await Known(async () =>
        {
            var profile = await ProfileAsync(terminal, cancel);
            if (request.Scope != profile.ScopeId)
            {
                return Reinitialise(terminal, SyncRefusals.ScopeChanged, request.AfterSeq);
            }
            var page = await feed.ChangesAsync(terminal.Municipality, profile.Services, request.AfterSeq, limit, cancellationToken: cancel);
            // Read after the page: a purge that committed before the page was read shows here, and one
            // that commits later purged nothing the page did not already carry.
            var head = await feed.HeadAsync(terminal.Municipality, cancel);
            if (request.AfterSeq < head.Horizon)
            {
                return Reinitialise(terminal, BehindHorizon, request.AfterSeq);
            }
            // A checkpoint the hub never reached: its database was restored to an earlier state, so the
            // terminal holds changes the hub no longer has.
            if (request.AfterSeq > head.LastSeq)
            {
                return Reinitialise(terminal, CheckpointAhead, request.AfterSeq);
            }
            var reply = new PullReply { ThroughSeq = page.ThroughSeq, HasMore = page.HasMore };
            reply.Changes.AddRange(page.Changes.Select(Change));
            return reply;
        }, terminal);
    }

    public override async Task<SnapshotPage> Snapshot(SnapshotRequest request, ServerCallContext context)
    {
        var terminal = Terminal(context);
        var limit = Page(request.Limit, "limit");
        SnapshotPageToken? token = null;
        if (request.PageToken.Length > 0)
        {
            token = SnapshotPageToken.TryDecode(request.PageToken)
                ?? throw Invalid("page_token", "is not a token from a previous snapshot page; leave it empty to start.", "前回のスナップショットのページトークンではありません。最初のページは空で指定してください。");
        }
        var cancel = context.CancellationToken;
        return await Known(async () =>
        {
            var profile = await ProfileAsync(terminal, cancel);
            if (token is not null && token.Scope != profile.ScopeId)
            {
                throw HubRefusal.Create(StatusCode.Aborted, SyncRefusals.ScopeChanged,
                    $"The services of terminal {terminal.Id} changed while its snapshot was read; start the snapshot again from the first page.",
                    $"スナップショットの取得中に端末{terminal.Id}のサービス構成が変更されました。最初のページから取得し直してください。");
            }
            // as_of is read before the first row: a row changed after it comes again through the feed.
            var asOf = token?.AsOfSeq ?? (await feed.HeadAsync(terminal.Municipality, cancel)).LastSeq;
            var chunk = await feed.SnapshotAsync(terminal.Municipality, profile.Services, token?.AfterKind ?? string.Empty, token?.AfterKey ?? string.Empty,
                limit, cancellationToken: cancel);
            var page = new SnapshotPage { AsOfSeq = asOf, Scope = profile.ScopeId };
            page.Rows.AddRange(chunk.Rows.Select(Change));
            if (chunk.ResumeAfter is { } resume)
            {
                page.NextPageToken = new SnapshotPageToken(asOf, profile.ScopeId, resume.Kind, resume.Key).Encode();
            }
            return page;
        }, terminal);
    }

    public override async Task<PushReply> Push(PushRequest request, ServerCallContext context)
    {
        var terminal = Terminal(context);
        if (PushBatch.CheckShape(request) is { } problem)
        {
            throw Invalid(problem.Field, problem.MessageEn, problem.MessageJa);
        }
        var cancel = context.CancellationToken;
        return await Known(async () =>
        {
            PushOutcome outcome;
            try
            {
                outcome = await ingest.PushAsync(terminal.Municipality, terminal.Id, request, cancel);
            }
            catch (StreamGapException gap)
            {
                throw WithPosition(HubRefusal.Create(StatusCode.FailedPrecondition, SyncRefusals.StreamGap,
                    $"Stream {gap.Stream}: the batch starts at {gap.FirstSeq}, but the hub holds 1 to {gap.Through}; send again from {gap.Through + 1}.",
                    $"ストリーム{gap.Stream}: 送信は{gap.FirstSeq}番からですが、ハブは{gap.Through}番まで受信済みです。{gap.Through + 1}番から送り直してください。"), gap.Through);
            }
            catch (AuditChainBrokenException broken)
            {
                logger.LogWarning("Push of terminal {Terminal} refused: {Problem}", terminal.Id, broken.Break.MessageEn);
                throw WithPosition(HubRefusal.Create(StatusCode.FailedPrecondition, SyncRefusals.AuditChainBroken,
                    $"The audit log of terminal {terminal.Id} does not continue the chain the hub holds: {broken.Break.MessageEn} The hub stored nothing and recorded this in the municipality's audit.",
                    $"端末{terminal.Id}の操作履歴がハブの保持するハッシュチェーンに続いていません: {broken.Break.MessageJa} ハブは何も保存せず、この事象を市町村の監査記録に記録しました。"), broken.Through);
            }
            if (outcome.Quarantined.Count > 0)
            {
                logger.LogWarning("Terminal {Terminal} stream {Stream}: {Count} record(s) quarantined, first {Seq}: {Reason}",
                    terminal.Id, request.Stream, outcome.Quarantined.Count, outcome.Quarantined[0].Seq, outcome.Quarantined[0].Reason);
            }
            var reply = new PushReply { AcknowledgedThrough = outcome.AcknowledgedThrough, Stored = outcome.Stored, Duplicates = outcome.Duplicates };
            reply.Quarantined.AddRange(outcome.Quarantined.Select(q => new QuarantinedRecord { Seq = q.Seq, Reason = q.Reason }));
            reply.Decisions.AddRange(outcome.Decisions.Select(d => d.ToWire()));
            return reply;
        }, terminal);
    }

    public override async Task<DecisionsReply> Decisions(DecisionsRequest request, ServerCallContext context)
    {
        var terminal = Terminal(context);
        if (request.Seqs.Count is 0 or > SyncLimits.MaxDecisionsPerCall)
        {
            throw Invalid("seqs", $"must hold 1 to {SyncLimits.MaxDecisionsPerCall} sequence numbers.", $"1～{SyncLimits.MaxDecisionsPerCall}件の番号を指定してください。");
        }
        if (request.Seqs.Any(s => s < 1))
        {
            throw Invalid("seqs", "sequence numbers start at 1.", "番号は1以上です。");
        }
        var cancel = context.CancellationToken;
        return await Known(async () =>
        {
            var reply = new DecisionsReply();
            reply.Decisions.AddRange((await ingest.DecisionsAsync(terminal.Municipality, terminal.Id, [.. request.Seqs], cancel)).Select(d => d.ToWire()));
            return reply;
        }, terminal);
    }

    private TerminalCaller Terminal(ServerCallContext context)
    {
        var caller = callers.GetCaller(context);
        if (caller.Kind != CallerKind.Terminal)
        {
            throw HubRefusal.PermissionDenied(NotATerminalReason,
                $"Sync is for terminals; administrator {caller.Id} may not call it.",
                $"同期は端末専用です。管理者{caller.Id}は利用できません。");
        }
        return new TerminalCaller(caller.Id, caller.Municipalities[0]);
    }

    private async Task<TerminalProfile> ProfileAsync(TerminalCaller terminal, CancellationToken cancellationToken) =>
        TerminalProfile.From(terminal.Id, (await master.GetAsync(terminal.Municipality, MasterKinds.Terminal, terminal.Id, cancellationToken))?.PayloadJson);

    private PullReply Reinitialise(TerminalCaller terminal, string reason, long afterSeq)
    {
        logger.LogInformation("Terminal {Terminal} must reinitialise from a snapshot ({Reason}, checkpoint {Checkpoint})", terminal.Id, reason, afterSeq);
        return new PullReply { Reinitialise = true, ReinitialiseReason = reason, ThroughSeq = afterSeq };
    }

    private static async Task<T> Known<T>(Func<Task<T>> call, TerminalCaller terminal)
    {
        try
        {
            return await call();
        }
        catch (UnknownMunicipalityException)
        {
            throw HubRefusal.Create(StatusCode.FailedPrecondition, UnknownMunicipalityReason,
                $"Municipality {terminal.Municipality} of terminal {terminal.Id} is not on this hub yet.",
                $"端末{terminal.Id}の団体コード{terminal.Municipality}はまだハブに登録されていません。");
        }
    }

    private static MasterChange Change(MasterRow row) => new()
    {
        Kind = row.Kind,
        Key = row.Key,
        PayloadJson = row.PayloadJson ?? string.Empty,
        Deleted = row.Deleted,
        Seq = row.ChangeSeq,
    };

    private static int Page(int requested, string field) =>
        SyncLimits.Page(requested)
        ?? throw Invalid(field, $"must be 0 (for {SyncLimits.DefaultPage}) or 1 to {SyncLimits.MaxPage}, got {requested}.",
            $"0({SyncLimits.DefaultPage}件)または1~{SyncLimits.MaxPage}で指定してください(指定値: {requested})。");

    private static DateTimeOffset Time(Timestamp? timestamp, string field)
    {
        if (timestamp is null)
        {
            throw Invalid(field, "is required.", "必須です。");
        }
        try
        {
            return timestamp.ToDateTimeOffset();
        }
        catch (InvalidOperationException)
        {
            throw Invalid(field, "is not a valid time.", "正しい日時ではありません。");
        }
    }

    private static RpcException WithPosition(RpcException refusal, long through)
    {
        refusal.Trailers.Add(SyncRefusals.AcknowledgedThroughTrailer, through.ToString(CultureInfo.InvariantCulture));
        return refusal;
    }

    private static RpcException Invalid(string field, string problemEn, string problemJa) =>
        HubRefusal.Create(StatusCode.InvalidArgument, "InvalidArgument", $"{field}: {problemEn}", $"{field}: {problemJa}");

    /// <summary>A terminal caller: its id and the one municipality its certificate names.</summary>
    private sealed record TerminalCaller(string Id, MunicipalityCode Municipality);
}
