using CardAp.Shared.Services;

namespace CardAp.Shared.Tests.Services;

public sealed class ServiceSchemaTests
{
    [Theory]
    [InlineData(OfflinePolicy.Allowed, new[] { OfflinePolicy.Allowed, OfflinePolicy.OnlineOnly })]
    [InlineData(OfflinePolicy.Limited, new[] { OfflinePolicy.Limited, OfflinePolicy.OnlineOnly })]
    [InlineData(OfflinePolicy.OnlineOnly, new[] { OfflinePolicy.OnlineOnly })]
    public void Tuning_may_keep_or_tighten_the_offline_default_and_choose_Limited_only_where_it_is_the_default(OfflinePolicy @default, OfflinePolicy[] choices)
    {
        Assert.Equal(choices, OfflinePolicies.TuningChoices(@default));
    }

    [Theory]
    [InlineData("Allowed", true, OfflinePolicy.Allowed)]
    [InlineData("onlineonly", true, OfflinePolicy.OnlineOnly)]
    [InlineData("LIMITED", true, OfflinePolicy.Limited)]
    [InlineData("2", false, OfflinePolicy.Allowed)]
    [InlineData("Sometimes", false, OfflinePolicy.Allowed)]
    [InlineData("", false, OfflinePolicy.Allowed)]
    [InlineData(null, false, OfflinePolicy.Allowed)]
    public void Offline_policies_are_read_by_name_only(string? text, bool ok, OfflinePolicy expected)
    {
        Assert.Equal(ok, OfflinePolicies.TryParse(text, out var policy));
        Assert.Equal(expected, policy);
    }

    [Fact]
    public void An_integer_setting_takes_whole_numbers_in_its_range_and_says_why_not_in_English_and_Japanese()
    {
        var setting = SettingDefinition.Integer("loanLimit", 10, 1, 100, "Books on loan at once.", "同時に借りられる冊数。");

        Assert.Equal(("10", SettingType.Integer, 1L, 100L), (setting.Default, setting.Type, setting.Min, setting.Max));
        Assert.Null(setting.Validate("1"));
        Assert.Null(setting.Check("100"));
        Assert.Equal("loanLimit must be a whole number from 1 to 100, got '101'.", setting.Validate("101"));
        Assert.Equal("loanLimit は 1 から 100 までの整数で指定してください（指定値: 'x'）。", setting.Check("x")!.MessageJa);
    }

    [Fact]
    public void The_built_in_schemas_are_well_formed()
    {
        Assert.Equal(["library", "shelter", "points", "seal"], ServiceSchemas.BuiltIn.Select(s => s.Id));
        foreach (var schema in ServiceSchemas.BuiltIn)
        {
            Assert.Same(schema, ServiceSchemas.FindBuiltIn(schema.Id));
            Assert.False(string.IsNullOrWhiteSpace(schema.NameEn));
            Assert.False(string.IsNullOrWhiteSpace(schema.NameJa));
            Assert.NotEmpty(schema.Operations);
            Assert.Equal(schema.Operations.Count, schema.Operations.DistinctBy(o => o.Name).Count());
            Assert.Equal(schema.Settings.Count, schema.Settings.DistinctBy(s => s.Name).Count());
            Assert.All(schema.Settings, s => Assert.Null(s.Check(s.Default)));
            Assert.All(schema.Settings, s => Assert.False(string.IsNullOrWhiteSpace(s.DescriptionJa), s.Name));
        }
        Assert.Null(ServiceSchemas.FindBuiltIn("checkup"));
    }
}
