using System.Text.Json;
using System.Text.Json.Nodes;
using CardAp.Hub.Errors;
using Grpc.Core;

namespace CardAp.Provision.Cli;

/// <summary>
/// Runs one command's work and reports it the same way for every command: text for people (English,
/// then Japanese) or one JSON object for scripts (--json), and the exit code (<see cref="ExitCodes"/>).
/// The hub's refusals and an unreachable hub become <see cref="ProvisionException"/>s here.
/// </summary>
public sealed class CommandContext(bool json, TextWriter output, TextWriter error)
{
    // Japanese stays readable in the JSON (scripts parse it either way).
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public bool Json => json;

    public TextWriter Output => output;

    /// <summary>Runs <paramref name="work"/>; its result is printed as JSON, or its text lines for people.</summary>
    public async Task<int> RunAsync(Func<Task<CommandResult>> work)
    {
        try
        {
            var result = await work();
            if (json)
            {
                var document = result.Json ?? [];
                document["ok"] = result.Refusal is null;
                if (result.Refusal is { } refused)
                {
                    document["reason"] = refused.Reason;
                    document["message"] = refused.Message;
                    document["messageJa"] = refused.MessageJa;
                }
                await output.WriteLineAsync(document.ToJsonString(Indented));
            }
            else
            {
                foreach (var line in result.Lines)
                {
                    await output.WriteLineAsync(line);
                }
            }
            if (result.Refusal is { } refusal)
            {
                await error.WriteLineAsync(refusal.Message);
                await error.WriteLineAsync(refusal.MessageJa);
                return refusal.ExitCode;
            }
            return ExitCodes.Ok;
        }
        catch (ProvisionException e)
        {
            return await FailAsync(e);
        }
        catch (RpcException e)
        {
            return await FailAsync(FromHub(e));
        }
    }

    private async Task<int> FailAsync(ProvisionException e)
    {
        if (json)
        {
            await output.WriteLineAsync(new JsonObject
            {
                ["ok"] = false,
                ["reason"] = e.Reason,
                ["message"] = e.Message,
                ["messageJa"] = e.MessageJa,
            }.ToJsonString(Indented));
        }
        await error.WriteLineAsync(e.Message);
        await error.WriteLineAsync(e.MessageJa);
        return e.ExitCode;
    }

    // The hub explains its refusals in trailers (cardap-reason, cardap-message-en, cardap-message-ja-bin).
    internal static ProvisionException FromHub(RpcException e)
    {
        if (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            return ProvisionException.Environment("HubUnreachable",
                $"The hub cannot be reached ({e.Status.Detail}). Check --hub and the network, then run the command again; nothing was changed.",
                $"ハブに接続できません（{e.Status.Detail}）。--hub の指定とネットワークを確認して再実行してください。変更は行われていません。", e);
        }
        var reason = e.Trailers.GetValue(HubRefusal.ReasonTrailer) ?? e.StatusCode.ToString();
        var en = e.Trailers.GetValue(HubRefusal.MessageEnTrailer) ?? e.Status.Detail;
        var jaBytes = e.Trailers.GetValueBytes(HubRefusal.MessageJaTrailer);
        var ja = jaBytes is null ? en : System.Text.Encoding.UTF8.GetString(jaBytes);
        return ProvisionException.Refused(reason, $"The hub refused: {en}", $"ハブが拒否しました: {ja}", e);
    }
}

/// <summary>
/// What a command did: lines for people and the same facts as JSON for scripts. A report that ends
/// in a refusal (an import file with bad rows, a tuning row the rules refuse) keeps its details and
/// names the <paramref name="Refusal"/>: the lines or JSON are printed as usual, the JSON with
/// "ok": false and the refusal's "reason", "message" and "messageJa", the messages go to stderr as for
/// any refusal, and the command ends with its exit code.
/// </summary>
public sealed record CommandResult(IReadOnlyList<string> Lines, JsonObject? Json = null, ProvisionException? Refusal = null);
