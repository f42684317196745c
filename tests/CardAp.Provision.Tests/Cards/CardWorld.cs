using System.Security.Cryptography;
using CardAp.Card.Application;

namespace CardAp.Provision.Tests.Cards;

/// <summary>
/// <see cref="ProvisionWorld"/> with municipality 131016 (千代田区) created through the tool: its
/// issuing key in <see cref="ProvisionWorld.Keys"/>, the public half at the hub. Cards for it are
/// delivered blank with the applet knowing <see cref="IssuerKey"/>, as a card vendor delivers them.
/// </summary>
public sealed class CardWorld() : ProvisionWorld(Municipality)
{
    public const string Municipality = "131016";

    /// <summary>The PIN the tests give cards: it must never show in anything the tool prints.</summary>
    public const string Pin = "9573";

    public IssuerPublicKey IssuerKey { get; private set; } = null!;

    public string PinFile => Path.Combine(Root, "pin.txt");

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Require(await ProvisionAsync(["municipality", "create", "--municipality", Municipality, "--name", "千代田区", "--keys", Keys, .. Hub()]));
        await File.WriteAllTextAsync(PinFile, Pin + "\n", Cancel);
        using var key = ECDsa.Create();
        key.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(Keys, $"{Municipality}-01.pub.pem"), Cancel));
        IssuerKey = new IssuerPublicKey(IssuerReference.Parse($"{Municipality}-01"), key.ExportSubjectPublicKeyInfo());
    }
}
