namespace CardAp.Provision.Tests;

/// <summary>Tests that put cards into vpcd's readers run one at a time: the slots are shared.</summary>
[CollectionDefinition(PcscdFixture.CollectionName)]
public sealed class PcscdCollection : ICollectionFixture<PcscdFixture>
{
}
