using CardAp.Hub.Options;
using CardAp.Hub.Store;

namespace CardAp.Hub.Extensions;

/// <summary>
/// `cardap-hub migrate`: brings the configured database (Hub:Database, from the same settings
/// files, environment and arguments as the server) to this hub's schema version and exits, for IT
/// that runs migrations as a release step with Hub:Database:MigrateAtStart=false on the servers.
/// </summary>
public static class MigrateCommand
{
    public const string Name = "migrate";

    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var configuration = Host.CreateApplicationBuilder(args).Configuration;
        var options = configuration.GetSection(HubDatabaseOptions.Section).Get<HubDatabaseOptions>() ?? new HubDatabaseOptions();
        var problems = new HubDatabaseOptionsValidator().Validate(null, options);
        if (problems.Failed)
        {
            await output.WriteLineAsync(problems.FailureMessage);
            return 2;
        }
        var database = new HubDatabase(options.Engine, options.ConnectionString);
        try
        {
            var before = await database.SchemaVersionAsync();
            var applied = await database.MigrateAsync();
            await output.WriteLineAsync($"Hub database ({options.Engine}): schema version {before} -> {before + applied}, {applied} migration(s) applied.");
            return 0;
        }
        catch (HubSchemaTooNewException e)
        {
            await output.WriteLineAsync(e.Message);
            return 3;
        }
        catch (System.Data.Common.DbException e)
        {
            await output.WriteLineAsync($"The hub database ({options.Engine}) could not be migrated: {e.Message}");
            return 1;
        }
    }
}
