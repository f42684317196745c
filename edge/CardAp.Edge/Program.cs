using CardAp.Edge.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddEdgeServices();

var app = builder.Build();
app.MapEdgeEndpoints();
app.Run();

/// <summary>Entry point, visible to integration tests.</summary>
public partial class Program;
