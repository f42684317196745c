using CardAp.Shared.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CardAp.Shared.Tests;

public class SerilogSetupTests
{
    [Fact]
    public async Task Host_logs_go_to_a_daily_file_named_after_the_app()
    {
        var dir = Directory.CreateTempSubdirectory("cardap-log-");
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Configuration["Logging:Directory"] = dir.FullName;
            builder.AddCardApSerilog("unit-test");
            using (var host = builder.Build())
            {
                host.Services.GetRequiredService<ILogger<SerilogSetupTests>>().LogWarning("hello {Who}", "clerk");
                await ((IAsyncDisposable)host.Services).DisposeAsync();
            }
            var file = Assert.Single(Directory.GetFiles(dir.FullName, "unit-test-*.log"));
            var text = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
            Assert.Contains("hello clerk", text, StringComparison.Ordinal);
            Assert.Contains("[WRN]", text, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
