using System.Text;
using Grpc.Core;

namespace CardAp.Sync.Edge;

/// <summary>
/// The errors a sync can end with, each with a message a clerk can act on in English and
/// Japanese. Every one of them leaves the records on the terminal: the messages say so, because
/// "sync failed" at a counter otherwise reads as "today's work is lost".
/// </summary>
public static class SyncErrors
{
    public const string ReasonTrailer = "cardap-reason";
    public const string MessageEnTrailer = "cardap-message-en";
    public const string MessageJaTrailer = "cardap-message-ja-bin";


    public static SyncError NotConfigured() => new("SyncNotConfigured",
        "This terminal has no central system (hub) configured, so it works offline only. Records stay on this terminal.",
        "この端末には中央システム(ハブ)が設定されていないため、オフラインでのみ動作します。記録はこの端末に保存されています。");

    public static SyncError Stopping() => new("TerminalStopping",
        "The terminal is shutting down, so sync did not run. Records stay on this terminal and are sent after it starts again.",
        "端末が終了処理中のため、同期は実行されませんでした。記録はこの端末に保存されており、再起動後に送信されます。");

    public static SyncError Unreachable(string detail) => new("HubUnreachable",
        "The central system (hub) cannot be reached. Records stay safely on this terminal and are sent automatically when the connection returns.",
        "中央システム(ハブ)に接続できません。記録はこの端末に安全に保存されており、接続が回復すると自動的に送信されます。",
        detail, HubUnreachable: true);

    public static SyncError Protocol(string detail) => new("HubProtocolError",
        "The central system sent an answer this terminal cannot use, so that part of the sync changed nothing. Records stay on this terminal and sync is retried automatically; if this message persists, please tell the system administrator.",
        "中央システムから、この端末で利用できない応答がありました。その部分の同期では何も変更していません。記録はこの端末に保存されており、同期は自動的に再試行されます。このメッセージが続く場合はシステム管理者に連絡してください。",
        detail);

    public static SyncError Local(string detail) => new("LocalSyncError",
        "Sync stopped because of a problem on this terminal. Records stay on this terminal and sync is retried automatically; if this message persists, please tell the system administrator.",
        "この端末の問題により同期が中断されました。記録はこの端末に保存されており、同期は自動的に再試行されます。このメッセージが続く場合はシステム管理者に連絡してください。",
        detail);

    public static SyncError WrongIdentity(string what, string hubSays, string terminalHas) => new("HubIdentityMismatch",
        $"The central system identifies this terminal's {what} as {hubSays}, but this terminal is set up as {terminalHas}. Sync is stopped so that no records go to the wrong place; records stay on this terminal. Please contact the system administrator (the enrolment certificate does not match this terminal).",
        $"中央システムはこの端末の{(what == "terminal" ? "端末ID" : "団体コード")}を{hubSays}としていますが、この端末は{terminalHas}として設定されています。記録が誤った宛先に送られないよう同期を停止しました。記録はこの端末に保存されています。システム管理者に連絡してください(登録証明書がこの端末と一致しません)。",
        $"{what}: hub {hubSays}, terminal {terminalHas}");

    public static SyncError StreamAhead(string stream, long hubThrough, long localLast) => new("HubAheadOfTerminal",
        $"The central system already holds {stream} records up to number {hubThrough}, but this terminal has only {localLast}: its database was replaced or restored. Sending {stream} is stopped so that no record is lost; records stay on this terminal. Please contact the system administrator.",
        $"中央システムは{stream}の記録を{hubThrough}番まで保持していますが、この端末には{localLast}番までしかありません(データベースが置き換えられたか復元されています)。記録を失わないよう{stream}の送信を停止しました。記録はこの端末に保存されています。システム管理者に連絡してください。",
        $"{stream}: hub through {hubThrough}, terminal last {localLast}");

    public static SyncError RestoredBehindHub(string stream, long backupLast, long hubThrough) => new("RestoredBehindHub",
        $"This terminal's database was restored from a backup that ends at {stream} record {backupLast}, but the central system already holds records up to {hubThrough} written after that backup. New records would reuse those numbers, so sending {stream} is stopped; records stay on this terminal. Please contact the system administrator.",
        $"この端末のデータベースは{stream}の記録{backupLast}番までのバックアップから復元されましたが、中央システムにはそのバックアップ以降に作成された{hubThrough}番までの記録があります。新しい記録が同じ番号を使ってしまうため、{stream}の送信を停止しました。記録はこの端末に保存されています。システム管理者に連絡してください。",
        $"{stream}: backup last {backupLast}, hub through {hubThrough}");

    /// <summary>A gRPC failure: the hub's own words when it sent them, otherwise a message by status code.</summary>
    public static SyncError FromRpc(RpcException e, string phase)
    {
        ArgumentNullException.ThrowIfNull(e);
        var detail = $"{phase}: {e.StatusCode}: {e.Status.Detail}";
        if (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled)
        {
            return Unreachable(detail);
        }
        var reason = e.Trailers.GetValue(ReasonTrailer);
        var en = e.Trailers.GetValue(MessageEnTrailer);
        var jaBytes = e.Trailers.GetValueBytes(MessageJaTrailer);
        if (!string.IsNullOrEmpty(en) && jaBytes is { Length: > 0 })
        {
            return new SyncError(string.IsNullOrEmpty(reason) ? e.StatusCode.ToString() : reason, en, Encoding.UTF8.GetString(jaBytes), detail);
        }
        return e.StatusCode switch
        {
            StatusCode.Unauthenticated or StatusCode.PermissionDenied => new SyncError("HubRefusedTerminal",
                "The central system refused this terminal (certificate or registration). Records stay on this terminal. Please contact the system administrator.",
                "中央システムがこの端末(証明書または登録)を受け付けませんでした。記録はこの端末に保存されています。システム管理者に連絡してください。",
                detail),
            StatusCode.Unimplemented => new SyncError("HubWithoutSync",
                "The central system does not offer sync (it may be an older version). Records stay on this terminal. Please contact the system administrator.",
                "中央システムが同期に対応していません(旧バージョンの可能性があります)。記録はこの端末に保存されています。システム管理者に連絡してください。",
                detail),
            _ => new SyncError("HubError",
                $"The central system reported an error during sync ({e.StatusCode}). Records stay on this terminal and sync is retried automatically.",
                $"同期中に中央システムでエラーが発生しました({e.StatusCode})。記録はこの端末に保存されており、同期は自動的に再試行されます。",
                detail),
        };
    }

    /// <summary>The refusal's machine-readable reason (cardap-reason), or null.</summary>
    public static string? ReasonOf(RpcException e) => e?.Trailers.GetValue(ReasonTrailer);
}
