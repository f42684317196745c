namespace CardAp.Pcsc.Tests;

/// <summary>
/// Every test that talks to pcscd belongs to this collection, so they never run at the same time:
/// the vpcd slots and pcscd itself are shared by the whole machine.
/// </summary>
[CollectionDefinition(PcscdFixture.CollectionName)]
public sealed class PcscdCollection : ICollectionFixture<PcscdFixture>
{
}
