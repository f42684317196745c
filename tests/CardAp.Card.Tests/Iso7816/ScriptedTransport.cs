using CardAp.Card.Readers;

namespace CardAp.Card.Tests.Iso7816;

/// <summary>A test double of the raw transport seam: answers from a script and records what was sent.</summary>
internal sealed class ScriptedTransport(params string[] answersHex) : IApduTransport
{
    private readonly Queue<byte[]> _answers = new(answersHex.Select(Convert.FromHexString));

    public List<string> Sent { get; } = [];

    public byte[] Transmit(ReadOnlySpan<byte> command)
    {
        Sent.Add(Convert.ToHexString(command));
        return _answers.Dequeue();
    }
}
