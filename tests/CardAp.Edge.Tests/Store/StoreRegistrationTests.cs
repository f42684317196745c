using CardAp.Edge.Backup;
using CardAp.Edge.Store;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Tests.Store;

public sealed class StoreRegistrationTests
{
    private static HostApplicationBuilder Builder(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddEdgeStore();
        return builder;
    }

    [Fact]
    public async Task The_host_starts_with_every_store_service_and_the_daily_backup()
    {
        using var temp = new TempStore();
        var path = Path.Combine(temp.Root, "host", "edge.db");
        using var host = Builder(new() { ["Store:DatabasePath"] = path, ["Store:TerminalId"] = "131016-T009" }).Build();

        await host.StartAsync(TestContext.Current.CancellationToken);
        var services = host.Services;
        Assert.Same(services.GetRequiredService<EdgeDatabase>(), services.GetRequiredService<EdgeDatabase>());
        Assert.Equal(path, services.GetRequiredService<EdgeDatabase>().DatabasePath);
        services.GetRequiredService<LocalRecords>().RecordAudit(TempStore.Audit());
        Assert.True(services.GetRequiredService<AuditChainVerifier>().Verify(TestContext.Current.CancellationToken).IsValid);
        Assert.NotNull(services.GetRequiredService<MasterData>());
        Assert.NotNull(services.GetRequiredService<OutboxState>());
        Assert.NotNull(services.GetRequiredService<MasterSnapshotImporter>());
        Assert.Equal(Path.Combine(temp.Root, "host", "backups"), services.GetRequiredService<BackupService>().Directory);
        Assert.Contains(services.GetServices<IHostedService>(), s => s is DailyBackupService);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Bad_settings_stop_the_start_with_every_problem_named()
    {
        using var host = Builder(new() { ["Store:BackupsKept"] = "0" }).Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("Store:DatabasePath is required", e.Message, StringComparison.Ordinal);
        Assert.Contains("Store:TerminalId is required", e.Message, StringComparison.Ordinal);
        Assert.Contains("Store:BackupsKept must be between 1 and 366, got 0.", e.Message, StringComparison.Ordinal);
    }
}
