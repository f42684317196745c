using System.Security.Cryptography;
using CardAp.Card.Application;

namespace CardAp.Provision.Tests.Cards;

/// <summary>
/// <see cref="ProvisionWorld"/> with municipality 131016 (千代田区) created through the tool: its
/// issuing key in <see cref="ProvisionWorld.Keys"/>, the public half at the hub. Cards for it are
/// delivered blank with the applet knowing <see cref="IssuerKey"/>, as a card vendor delivers them.
/// </summary>
public sealed class CardWorld() : ProvisionWorld(Municipality, Other)
{
    public const string Municipality = "131016";

    /// <summary>A second municipality of the same hub (札幌市), for residents moving.</summary>
    public const string Other = "011002";

    /// <summary>The PIN the tests give cards: it must never show in anything the tool prints.</summary>
    public const string Pin = "9573";

    public IssuerPublicKey IssuerKey { get; private set; } = null!;

    public IssuerPublicKey OtherIssuerKey { get; private set; } = null!;

    public string PinFile => Path.Combine(Root, "pin.txt");

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Require(await ProvisionAsync(["municipality", "create", "--municipality", Municipality, "--name", "千代田区", "--keys", Keys, .. Hub()]));
        Require(await ProvisionAsync(["municipality", "create", "--municipality", Other, "--name", "札幌市", "--keys", Keys, .. Hub()]));
        await File.WriteAllTextAsync(PinFile, Pin + "\n", Cancel);
        IssuerKey = await PublicKeyAsync(Municipality);
        OtherIssuerKey = await PublicKeyAsync(Other);
    }

    private async Task<IssuerPublicKey> PublicKeyAsync(string municipality)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(Keys, $"{municipality}-01.pub.pem"), Cancel));
        return new IssuerPublicKey(IssuerReference.Parse($"{municipality}-01"), key.ExportSubjectPublicKeyInfo());
    }
}
