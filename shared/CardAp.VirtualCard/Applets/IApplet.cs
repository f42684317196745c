using CardAp.Card.Iso7816;
using CardAp.VirtualCard.State;

namespace CardAp.VirtualCard.Applets;

/// <summary>
/// An application on the virtual card. The card dispatches SELECT by AID itself and hands every
/// other command to the selected applet. Implementations answer every command with a status word;
/// an exception escaping <see cref="Process"/> is a bug the card turns into 6F 00.
/// </summary>
public interface IApplet
{
    /// <summary>The application identifier the card selects this applet by.</summary>
    ReadOnlyMemory<byte> Aid { get; }

    /// <summary>Short human-readable name for listings and logs.</summary>
    string Name { get; }

    /// <summary>
    /// Counts changes of persistent state (files, keys, PIN values and counters). The card compares it
    /// before and after each command to tell its owner that the state should be saved.
    /// </summary>
    long PersistentStateVersion { get; }

    /// <summary>The applet became the selected one: the security state starts from nothing.</summary>
    void Select();

    /// <summary>Another applet was selected: the security state is dropped.</summary>
    void Deselect();

    /// <summary>The card was reset: the security state is dropped, persistent state is kept.</summary>
    void Reset();

    /// <summary>Processes one command other than SELECT by AID. CLA has been checked to be 00 or 80.</summary>
    ResponseApdu Process(CommandApdu command);

    /// <summary>The persistent state, for saving the card to a file.</summary>
    AppletState ExportState();
}
