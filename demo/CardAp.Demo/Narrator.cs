using System.Diagnostics;

namespace CardAp.Demo;

/// <summary>What the demo prints as it goes: scenes, the tool's commands, and what each terminal did.</summary>
public sealed class Narrator(TextWriter output)
{
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();

    public void Scene(string english, string japanese)
    {
        output.WriteLine();
        output.WriteLine($"[{_elapsed.Elapsed:mm\\:ss}] == {english} / {japanese}");
    }

    public void Tool(string commandLine) => output.WriteLine($"           $ {commandLine}");

    public void Say(string line) => output.WriteLine($"           {line}");
}
