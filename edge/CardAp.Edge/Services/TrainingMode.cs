using CardAp.Edge.Options;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Services;

/// <summary>Terminal-wide training mode (研修); sessions may also train on their own.</summary>
public sealed class TrainingMode(IOptions<EdgeOptions> options)
{
    private volatile bool _terminal = options.Value.Training;

    public bool Terminal
    {
        get => _terminal;
        set => _terminal = value;
    }
}
