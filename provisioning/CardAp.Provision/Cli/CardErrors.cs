using CardAp.Card.Iso7816;
using CardAp.Card.Pcsc;
using Grpc.Core;

namespace CardAp.Provision.Cli;

/// <summary>
/// What the card layer's errors mean to the person at the reader, in English and Japanese, and
/// what to do next. Card commands write the card first and the hub second, and a re-run of the
/// same command finishes what a cut-off run started; the messages say so.
/// </summary>
public static class CardErrors
{
    public enum Stage
    {
        /// <summary>Nothing was written yet: card and hub are as they were.</summary>
        BeforeWriting,

        /// <summary>The card was being written; the hub was not touched.</summary>
        WritingCard,
    }

    public static ProvisionException Translate(Exception e, Stage stage)
    {
        var (en, ja) = stage == Stage.BeforeWriting
            ? ("Nothing was changed.", "変更は行われていません。")
            : ("The card may be only partly written; the hub was not changed. Put the same card back and run the same command again: it finishes the card, then the hub.",
               "カードは書き込み途中の可能性があります。ハブは変更されていません。同じカードを挿入し、同じコマンドを再実行してください。カード、ハブの順に完了します。");
        return e switch
        {
            ProvisionException known => known,
            PcscUnavailableException => ProvisionException.Environment("PcscUnavailable",
                $"PC/SC cannot be used on this machine ({e.Message}). Install pcscd and libpcsclite1 (Linux) or use Windows' Smart Card service. {en}",
                $"このマシンでは PC/SC を使用できません（{e.Message}）。pcscd と libpcsclite1 を導入してください（Windows ではスマートカードサービス）。{ja}", e),
            PcscException { IsServiceUnavailable: true } => ProvisionException.Environment("ReaderServiceUnavailable",
                $"The smart card service (pcscd) is not running or went away ({((PcscException)e).Name}). Start it and run the command again. {en}",
                $"スマートカードサービス（pcscd）が動作していないか停止しました（{((PcscException)e).Name}）。起動してから再実行してください。{ja}", e),
            PcscException { IsCardGone: true } => ProvisionException.Environment("CardRemoved",
                $"The card left the reader, or the reader went away ({((PcscException)e).Name}). {en}",
                $"カードがリーダーから抜かれたか、リーダーが切断されました（{((PcscException)e).Name}）。{ja}", e),
            PcscException pcsc => ProvisionException.Environment("ReaderError",
                $"The reader failed: {pcsc.Name} ({pcsc.Description}). Check the reader and the card, then run the command again. {en}",
                $"カードリーダーでエラーが発生しました: {pcsc.Name}。リーダーとカードを確認して再実行してください。{ja}", e),
            CardStatusException { Operation: "EXTERNAL AUTHENTICATE" } status when status.Status == StatusWord.SecurityStatusNotSatisfied => NotOurs(e),
            CardProtocolException => ProvisionException.Refused("CardUnreadable",
                $"The card answers in a way CardAp does not understand ({e.Message}): it is not a CardAp card, or it is damaged. {en}",
                $"カードの応答を解釈できません（{e.Message}）。CardAp のカードではないか、破損しています。{ja}", e),
            CardStatusException status => ProvisionException.Refused("CardRefused",
                $"The card refused {status.Operation} ({status.Status}). {en}",
                $"カードが {status.Operation} を拒否しました（{status.Status}）。{ja}", e),
            _ => ProvisionException.Environment("CardError", $"The card could not be used: {e.Message}. {en}", $"カードを使用できません: {e.Message}。{ja}", e),
        };
    }

    /// <summary>The hub failed after the card was written: the card stays as written, a re-run brings the hub level with it.</summary>
    public static ProvisionException HubAfterCard(RpcException e)
    {
        const string AgainEn = "Run the same command again with the same card in the reader: the card is left as it is and the hub catches up with it.";
        const string AgainJa = "同じカードを挿入して同じコマンドを再実行してください。カードはそのままで、ハブがカードに合わせて更新されます。";
        if (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            return ProvisionException.Environment("HubUnreachable",
                $"The card is written, but the hub cannot be reached ({e.Status.Detail}), so the hub is not up to date yet. When it is back: {AgainEn}",
                $"カードへの書き込みは完了しましたが、ハブに接続できない（{e.Status.Detail}）ため、ハブはまだ更新されていません。ハブの復旧後、{AgainJa}", e);
        }
        var hub = CommandContext.FromHub(e);
        return new ProvisionException(hub.ExitCode, hub.Reason,
            $"The card is written, but the hub did not take the update. {hub.Message} Fix that, then: {AgainEn}",
            $"カードへの書き込みは完了しましたが、ハブが更新を受け付けませんでした。{hub.MessageJa} 原因を解消してから、{AgainJa}", e);
    }

    /// <summary>
    /// The card is not one this command may write (no CardAp application, another issuer, another
    /// card number, the wrong kind): found before anything is written, so nothing was changed.
    /// </summary>
    public static ProvisionException NotOurCard(string reason, string messageEn, string messageJa) =>
        ProvisionException.Refused(reason, messageEn + " Nothing was changed.", messageJa + "変更は行われていません。");

    // Every write starts with the issuer's authentication, so a card that refuses it was not written.
    private static ProvisionException NotOurs(Exception e) => ProvisionException.Refused("NotOurCard",
        "The card does not accept this municipality's issuing key: it belongs to another municipality or issuer. Check that it is the right card and --municipality. Nothing was changed.",
        "カードがこの市町村の発行鍵を受け付けません。他の市町村または他の発行者のカードです。カードと --municipality を確認してください。変更は行われていません。", e);
}
