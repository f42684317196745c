using CardAp.Card.Readers;

namespace CardAp.Card.Iso7816;

/// <summary>
/// Sends command APDUs over a raw transport and applies the ISO 7816-4 transport rules:
/// fetches chained data on 61xx with GET RESPONSE and repeats a command with the exact Le on 6Cxx.
/// Every malformed answer becomes a <see cref="CardProtocolException"/>.
/// </summary>
public sealed class ApduChannel(IApduTransport transport)
{
    /// <summary>Upper bound on the response data one command may gather through GET RESPONSE chaining.</summary>
    public const int MaxResponseData = 64 * 1024;

    private const int MaxChainSteps = 256;

    /// <summary>Raw APDUs exchanged so far (each GET RESPONSE and retry counts), for diagnostics and benchmarks.</summary>
    public int ExchangeCount { get; private set; }

    public ResponseApdu Transmit(CommandApdu command)
    {
        var response = Exchange(command);
        if (response.Status.IsWrongLe)
        {
            var exact = response.Status.Sw2 == 0 ? CommandApdu.MaxNe : response.Status.Sw2;
            response = Exchange(command with { Ne = exact });
            if (response.Status.IsWrongLe)
            {
                throw new CardProtocolException($"The card asked twice for a different Le ({response.Status}) for {command}.");
            }
        }
        if (!response.Status.IsMoreDataAvailable)
        {
            return response;
        }

        var buffer = new List<byte>(response.Data.Length + 256);
        buffer.AddRange(response.Data.Span);
        for (var step = 0; response.Status.IsMoreDataAvailable; step++)
        {
            if (step == MaxChainSteps)
            {
                throw new CardProtocolException($"The card kept answering 61xx after {MaxChainSteps} GET RESPONSE commands.");
            }
            var remaining = response.Status.Sw2 == 0 ? CommandApdu.MaxNe : response.Status.Sw2;
            response = Exchange(new CommandApdu((byte)(command.Cla & 0x03), Ins.GetResponse, 0, 0, ne: remaining));
            buffer.AddRange(response.Data.Span);
            if (buffer.Count > MaxResponseData)
            {
                throw new CardProtocolException($"The card's chained response exceeds {MaxResponseData} bytes.");
            }
        }
        return new ResponseApdu(buffer.ToArray(), response.Status);
    }

    private ResponseApdu Exchange(CommandApdu command)
    {
        ExchangeCount++;
        var raw = transport.Transmit(command.ToBytes());
        if (raw.Length > CommandApdu.MaxNe + 2 + 1024)
        {
            throw new CardProtocolException($"The card answered {raw.Length} bytes to {command}, far more than a short APDU allows.");
        }
        var response = ResponseApdu.Parse(raw);
        if (command.Ne is { } ne && response.Data.Length > ne)
        {
            throw new CardProtocolException($"The card answered {response.Data.Length} data bytes to {command}, more than the {ne} asked for.");
        }
        if (command.Ne is null && response.Data.Length > 0 && response.Status.IsSuccess)
        {
            throw new CardProtocolException($"The card answered {response.Data.Length} data bytes to {command}, which asked for none.");
        }
        return response;
    }
}
