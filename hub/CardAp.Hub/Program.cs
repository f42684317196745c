using CardAp.Hub.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddHubServices();

var app = builder.Build();
app.MapHubEndpoints();
app.Run();

/// <summary>Entry point, visible to integration tests.</summary>
public partial class Program;
