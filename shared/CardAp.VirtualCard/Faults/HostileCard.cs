using CardAp.VirtualCard;

namespace CardAp.Card.Tests.Hostile;

/// <summary>
/// A card that lies: it forwards each command to a genuine card and then, at random, truncates
/// the answer, pads it to an oversized length, replaces it with noise, or swaps its status word
/// (including 61xx/6Cxx that send the terminal chasing data that isn't there).
/// </summary>
internal sealed class HostileCard(ISmartCard genuine, Random random) : ISmartCard
{
    public byte[] Atr => genuine.Atr;

    public void Reset() => genuine.Reset();

    public byte[] Process(ReadOnlySpan<byte> command)
    {
        var answer = genuine.Process(command);
        switch (random.Next(8))
        {
            case 0:
            case 1:
                return answer;
            case 2:
                return answer[..random.Next(answer.Length)];
            case 3:
                return Noise(random.Next(0, 600));
            case 4:
                return [.. answer[..^2], .. Noise(random.Next(200, 2000)), .. answer[^2..]];
            case 5:
                return [.. answer[..^2], (byte)(random.Next(2) == 0 ? 0x61 : 0x6C), (byte)random.Next(256)];
            case 6:
                return [.. answer[..^2], .. Noise(2)];
            default:
                var flipped = answer.ToArray();
                flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                return flipped;
        }
    }

    private byte[] Noise(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
