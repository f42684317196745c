using CardAp.Edge.Operators;
using CardAp.Edge.Services;
using CardAp.Edge.Services.Modules;
using CardAp.Shared.Services;

namespace CardAp.Edge.Tests.Modules;

public sealed class BuiltInModulesTests
{
    [Fact]
    public void Lists_the_four_built_in_services_once_each()
    {
        Assert.Equal(["library", "shelter", "points", "seal"], BuiltInModules.All.Select(m => m.Id));
        Assert.Equal(4, BuiltInModules.Ids.Count);
    }

    [Fact]
    public void Every_declaration_is_well_formed()
    {
        foreach (var module in BuiltInModules.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(module.NameEn), module.Id);
            Assert.False(string.IsNullOrWhiteSpace(module.NameJa), module.Id);
            Assert.NotEmpty(module.Operations);
            Assert.Equal(module.Operations.Count, module.Operations.Select(o => o.Name).Distinct().Count());
            foreach (var operation in module.Operations)
            {
                Assert.NotEmpty(operation.Roles);
                Assert.All(operation.Roles, role => Assert.Contains(role, Roles.All));
                Assert.Equal(operation.FieldList.Count, operation.FieldList.Select(f => f.Name).Distinct().Count());
                Assert.All(operation.FieldList, f => Assert.True(f.Min <= f.Max && f.MaxLength > 0, $"{module.Id}.{operation.Name}.{f.Name}"));
            }
            Assert.Equal(module.Settings.Count, module.Settings.Select(s => s.Name).Distinct().Count());
            Assert.All(module.Settings, s => Assert.Null(s.Validate(s.Default)));
        }
    }

    [Fact]
    public void Only_points_redemption_is_limited_offline_and_only_the_seal_certificate_is_online_only()
    {
        var policies = BuiltInModules.All
            .SelectMany(m => m.Operations.Select(o => (Operation: $"{m.Id}.{o.Name}", o.OfflineDefault)))
            .Where(p => p.OfflineDefault != OfflinePolicy.Allowed)
            .ToList();

        Assert.Equal([("points.redeem", OfflinePolicy.Limited), ("seal.request-certificate", OfflinePolicy.OnlineOnly)], policies);
    }

    [Fact]
    public void The_built_in_modules_are_the_shared_schemas_the_hub_validates_tuning_against()
    {
        Assert.Equal(ServiceSchemas.BuiltIn, BuiltInModules.All.Select(m => m.Schema));
        foreach (var module in BuiltInModules.All)
        {
            var schema = ServiceSchemas.FindBuiltIn(module.Id)!;
            Assert.Equal((schema.Id, schema.NameEn, schema.NameJa), (module.Id, module.NameEn, module.NameJa));
            Assert.Equal(schema.Operations, module.Operations.Select(o => o.Schema));
            Assert.Equal(schema.Settings, module.Settings);
        }
    }

    [Fact]
    public void A_module_missing_an_operation_of_its_schema_fails_when_it_is_created()
    {
        var schema = new ServiceSchema("demo", "Demo", "デモ", [], [new OperationSchema("one"), new OperationSchema("two", OfflinePolicy.OnlineOnly)]);

        var error = Assert.Throws<InvalidOperationException>(() => ModuleSupport.Operations(schema, o =>
            o.Name == "one" ? OperationDefinition.For(o, [Roles.CounterClerk]) : null));
        Assert.Contains("'two'", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => ModuleSupport.Operations(schema, o =>
            new OperationDefinition(o.Name, [Roles.CounterClerk], KioskAllowed: true)));
    }
}
