using CardAp.Edge.Backup;
using CardAp.Edge.Enrolment;
using CardAp.Edge.Extensions;

switch (args.FirstOrDefault())
{
    case EnrolCommand.Name:
        return EnrolCommand.Run(args[1..], Console.Out, Console.Error);
    case RestoreCommand.Name:
        return RestoreCommand.Run(args[1..], Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddEdgeServices();

var app = builder.Build();
app.MapEdgeEndpoints();
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to integration tests.</summary>
public partial class Program;
