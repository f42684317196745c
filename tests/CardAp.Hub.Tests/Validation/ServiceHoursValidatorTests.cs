using System.Text.Json.Nodes;
using CardAp.Hub.Validation;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Tests.Validation;

public sealed class ServiceHoursValidatorTests
{
    [Theory]
    [InlineData("""{"service":"library","days":{"monday":["09:00-12:00","13:00-17:00"],"saturday":["10:00-16:00"]}}""")]
    [InlineData("""{"service":"library","days":{"Tuesday":["09:00-24:00"]},"openOnHolidays":true}""")]
    [InlineData("""{"service":"library","alwaysOpen":true}""")]
    public void Hours_the_edge_can_read_pass(string payload) =>
        Assert.Empty(ServiceHoursValidator.Validate(MasterKinds.ServiceHours, "library", JsonNode.Parse(payload)!.AsObject()));

    [Theory]
    [InlineData("""{"service":"library","days":{"moonday":["09:00-12:00"]}}""", "days")]
    [InlineData("""{"service":"library","days":{"monday":["17:00-09:00"]}}""", "days")]
    [InlineData("""{"service":"library","days":{"monday":["9-5"]}}""", "days")]
    [InlineData("""{"service":"library","days":{"monday":"09:00-17:00"}}""", "days.monday")]
    [InlineData("""{"service":"library","days":[]}""", "days")]
    [InlineData("""{"service":"library"}""", "days")]
    [InlineData("""{"service":"points","days":{"monday":["09:00-17:00"]}}""", "service")]
    [InlineData("""{"days":{"monday":["09:00-17:00"]}}""", "service")]
    [InlineData("""{"service":"library","days":{"monday":["09:00-17:00"]},"openOnHolidays":"yes"}""", "openOnHolidays")]
    [InlineData("""{"service":"library","alwaysOpen":true,"hours":1}""", "hours")]
    public void Hours_the_edge_could_not_use_are_refused_naming_the_field(string payload, string field)
    {
        var problems = ServiceHoursValidator.Validate(MasterKinds.ServiceHours, "library", JsonNode.Parse(payload)!.AsObject());
        var problem = Assert.Single(problems);
        Assert.Equal(field, problem.Field);
        Assert.NotEmpty(problem.MessageJa);
    }

    [Theory]
    [InlineData("""{"date":"2026-12-29","reasonJa":"年末年始休館","reasonEn":"New Year holidays"}""", null)]
    [InlineData("""{"date":"2026-12-29","service":"library"}""", null)]
    [InlineData("""{"date":"2026/12/29"}""", "date")]
    [InlineData("""{"date":"2026-02-30"}""", "date")]
    [InlineData("""{"reasonEn":"x"}""", "date")]
    [InlineData("""{"date":"2026-12-29","service":"図書館"}""", "service")]
    [InlineData("""{"date":"2026-12-29","reasonJa":5}""", "reasonJa")]
    public void Closure_days_are_checked(string payload, string? field)
    {
        var problems = ServiceHoursValidator.Validate(MasterKinds.Closure, "2026-12-29", JsonNode.Parse(payload)!.AsObject());
        Assert.Equal(field, problems.SingleOrDefault()?.Field);
    }

    [Fact]
    public void Other_kinds_pass_untouched() =>
        Assert.Empty(ServiceHoursValidator.Validate(MasterKinds.Shelter, "gym-1", new JsonObject { ["days"] = 5 }));
}
