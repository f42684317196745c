namespace CardAp.VirtualCard.Faults;

/// <summary>
/// A card that lies: it forwards each command to a genuine card and then, at random, truncates
/// the answer, pads it to an oversized length, replaces it with noise, or swaps its status word
/// (including 61xx/6Cxx that send the terminal chasing data that isn't there).
/// Used to prove the reader layer survives any answer; never in production paths.
/// </summary>
public sealed class HostileCard(ISmartCard genuine, Random random, double lieRate = 0.75) : ISmartCard
{
    public byte[] Atr => genuine.Atr;

    public void Reset() => genuine.Reset();

    public byte[] Process(ReadOnlySpan<byte> command)
    {
        var answer = genuine.Process(command);
        if (random.NextDouble() >= lieRate)
        {
            return answer;
        }
        switch (random.Next(6))
        {
            case 0:
                return answer[..random.Next(answer.Length)];
            case 1:
                return Noise(random.Next(0, 600));
            case 2:
                return [.. answer[..^2], .. Noise(random.Next(200, 2000)), .. answer[^2..]];
            case 3:
                return [.. answer[..^2], (byte)(random.Next(2) == 0 ? 0x61 : 0x6C), (byte)random.Next(256)];
            case 4:
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
