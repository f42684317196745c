using System.Text.Json.Serialization;

namespace CardAp.VirtualCard.State;

/// <summary>The persistent state of one applet; the "type" property names the applet kind in the file.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(CardApAppletState), "cardap")]
[JsonDerivedType(typeof(JpkiAppletState), "jpki")]
public abstract record AppletState;
