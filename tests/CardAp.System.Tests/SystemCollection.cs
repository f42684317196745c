namespace CardAp.SystemTests;

/// <summary>
/// The scenarios run one at a time: they put cards into vpcd's two readers, which every process on the
/// machine shares, and each starts a hub and three edges of its own. Central IT's CA serves them all.
/// </summary>
[CollectionDefinition(PcscdFixture.CollectionName)]
public sealed class SystemCollection : ICollectionFixture<PcscdFixture>, ICollectionFixture<CentralIt>
{
}
