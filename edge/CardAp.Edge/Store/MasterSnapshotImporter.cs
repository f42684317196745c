using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CardAp.Card.Application;
using CardAp.Shared.Domain;
using Microsoft.Extensions.Logging;

namespace CardAp.Edge.Store;

/// <summary>
/// Imports a master data snapshot file: the supported way to bring up a site with no network.
/// <code>
/// { "format": "cardap-master-snapshot", "version": 1, "municipality": "131016",
///   "createdAt": "2026-11-27T09:00:00+09:00", "sequence": 0,
///   "rows": [ { "kind": "service", "key": "library", "payload": { ... } }, ... ] }
/// </code>
/// Everything is checked first (problems name the row index); then all master data is replaced in
/// one transaction together with a "master-data-imported" audit entry. A bad file changes nothing.
/// "sequence" (optional, default 0) is the hub change sequence the snapshot reflects; it becomes the
/// sync checkpoint. A store that holds another municipality's data, or a terminal whose id starts with
/// another municipality code, refuses the snapshot.
/// </summary>
public sealed class MasterSnapshotImporter(EdgeDatabase database, TimeProvider clock, ILogger<MasterSnapshotImporter> logger)
{
    public const string Format = "cardap-master-snapshot";
    public const int SupportedVersion = 1;
    public const string AuditAction = "master-data-imported";
    private const int MaxProblems = 20;

    /// <summary>Imports the snapshot file at <paramref name="path"/>; returns the number of rows imported.</summary>
    /// <exception cref="MasterSnapshotException">The file was refused; nothing was changed.</exception>
    public int ImportFile(string path, string? operatorId = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MasterSnapshotException([$"Cannot read {path}: {e.Message}"], e);
        }
        return Import(bytes, operatorId, Path.GetFileName(path));
    }

    /// <summary>Imports a snapshot document; returns the number of rows imported.</summary>
    /// <exception cref="MasterSnapshotException">The snapshot was refused; nothing was changed.</exception>
    public int Import(ReadOnlyMemory<byte> snapshot, string? operatorId = null, string? source = null)
    {
        var parsed = Parse(snapshot);
        var now = clock.GetUtcNow().ToOffset(CardDates.JapanOffset);
        var kinds = new JsonObject();
        foreach (var group in parsed.Rows.GroupBy(r => r.Kind, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            kinds[group.Key] = group.Count();
        }

        var (replaced, version) = database.Write(store =>
        {
            var stored = store.State(StateKeys.MasterMunicipality);
            if (stored is not null && stored != parsed.Municipality)
            {
                throw new MasterSnapshotException([$"This terminal holds master data of municipality {stored}; the snapshot is for {parsed.Municipality}."]);
            }
            var replaced = Convert.ToInt64(store.Scalar("SELECT count(*) FROM master_data"), CultureInfo.InvariantCulture);
            store.Execute("DELETE FROM master_data");
            var insert = store.Command("INSERT INTO master_data (kind, key, payload, version) VALUES ($kind, $key, $payload, 0)");
            var kind = insert.Parameters.Add("$kind", Microsoft.Data.Sqlite.SqliteType.Text);
            var key = insert.Parameters.Add("$key", Microsoft.Data.Sqlite.SqliteType.Text);
            var payload = insert.Parameters.Add("$payload", Microsoft.Data.Sqlite.SqliteType.Text);
            foreach (var row in parsed.Rows)
            {
                kind.Value = row.Kind;
                key.Value = row.Key;
                payload.Value = row.Payload;
                insert.ExecuteNonQuery();
            }
            store.SetState(StateKeys.MasterCheckpoint, parsed.Sequence.ToString(CultureInfo.InvariantCulture));
            store.SetState(StateKeys.MasterMunicipality, parsed.Municipality);
            // A file's set was not built for the hub's scope of this terminal: sync replaces it with a hub snapshot.
            store.Execute("DELETE FROM sync_state WHERE key = $key", ("$key", StateKeys.MasterScope));
            store.SetState(StateKeys.MasterSnapshot, new JsonObject
            {
                ["source"] = source,
                ["createdAt"] = parsed.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
                ["importedAt"] = now.ToString("O", CultureInfo.InvariantCulture),
                ["sequence"] = parsed.Sequence,
                ["rows"] = parsed.Rows.Count,
            }.ToJsonString(StoreJson.Options));
            var version = MasterData.BumpVersion(store);
            PreparedAudit.From(new AuditEntry(now, AuditAction, AuditEntry.Ok, operatorId, parsed.Municipality, new JsonObject
            {
                ["source"] = source,
                ["createdAt"] = parsed.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
                ["sequence"] = parsed.Sequence,
                ["rows"] = parsed.Rows.Count,
                ["replacedRows"] = replaced,
                ["kinds"] = kinds,
            })).AppendTo(store);
            return (replaced, version);
        });
        database.MasterVersionCommitted(version);
        logger.LogInformation("Imported master data snapshot {Source} of municipality {Municipality}: {Rows} rows replaced {Replaced}",
            source ?? "(upload)", parsed.Municipality, parsed.Rows.Count, replaced);
        return parsed.Rows.Count;
    }

    private ParsedSnapshot Parse(ReadOnlyMemory<byte> snapshot)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(snapshot);
        }
        catch (JsonException e)
        {
            throw new MasterSnapshotException([$"The file is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}"], e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new MasterSnapshotException([$"The snapshot must be a JSON object, got {root.ValueKind}."]);
            }
            var problems = new List<string>();
            if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != Format)
            {
                throw new MasterSnapshotException([$"Unknown format {Describe(root, "format")}: expected \"format\": \"{Format}\"."]);
            }
            if (!root.TryGetProperty("version", out var version) || !version.TryGetInt32(out var versionNumber) || versionNumber != SupportedVersion)
            {
                throw new MasterSnapshotException([$"Unsupported snapshot version {Describe(root, "version")}: this edge reads version {SupportedVersion}."]);
            }

            string municipality = string.Empty;
            if (!root.TryGetProperty("municipality", out var municipalityElement) || municipalityElement.ValueKind != JsonValueKind.String)
            {
                problems.Add("\"municipality\" is missing: the 6-digit code of the municipality the snapshot is for.");
            }
            else if (!MunicipalityCode.TryParse(municipalityElement.GetString(), out _, out var error))
            {
                problems.Add($"\"municipality\": {error}");
            }
            else
            {
                municipality = municipalityElement.GetString()!;
                if (TerminalMunicipality() is { } terminal && terminal != municipality)
                {
                    problems.Add($"The snapshot is for municipality {municipality}, but this terminal ({database.TerminalId}) belongs to {terminal}.");
                }
            }

            var createdAt = default(DateTimeOffset);
            if (!root.TryGetProperty("createdAt", out var created) || created.ValueKind != JsonValueKind.String || !created.TryGetDateTimeOffset(out createdAt))
            {
                problems.Add("\"createdAt\" is missing or not an ISO 8601 date and time, e.g. \"2026-11-27T09:00:00+09:00\".");
            }

            long sequence = 0;
            if (root.TryGetProperty("sequence", out var sequenceElement) && (!sequenceElement.TryGetInt64(out sequence) || sequence < 0))
            {
                problems.Add("\"sequence\" must be a non-negative integer (the hub change sequence the snapshot reflects).");
            }

            var rows = new List<SnapshotRow>();
            if (!root.TryGetProperty("rows", out var rowsElement) || rowsElement.ValueKind != JsonValueKind.Array)
            {
                problems.Add("\"rows\" is missing or not an array.");
            }
            else if (rowsElement.GetArrayLength() == 0)
            {
                problems.Add("\"rows\" is empty: importing it would remove all master data.");
            }
            else
            {
                ParseRows(rowsElement, rows, problems);
            }

            if (problems.Count > 0)
            {
                if (problems.Count > MaxProblems)
                {
                    var more = problems.Count - MaxProblems;
                    problems.RemoveRange(MaxProblems, more);
                    problems.Add($"...and {more} more.");
                }
                throw new MasterSnapshotException(problems);
            }
            return new ParsedSnapshot(municipality, createdAt, sequence, rows);
        }
    }

    private static void ParseRows(JsonElement rowsElement, List<SnapshotRow> rows, List<string> problems)
    {
        var seen = new Dictionary<(string, string), int>();
        var index = 0;
        foreach (var row in rowsElement.EnumerateArray())
        {
            var at = index++;
            if (row.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"Row {at}: must be an object with kind, key and payload, got {row.ValueKind}.");
                continue;
            }
            var kind = StringProperty(row, "kind");
            var key = StringProperty(row, "key");
            string? problem = null;
            try
            {
                MasterData.ValidateKindAndKey(kind, key, message => new FormatException(message));
            }
            catch (FormatException e)
            {
                problem = $"Row {at}: {e.Message} (kind {Quote(kind)}, key {Quote(key)}).";
            }
            if (problem is not null)
            {
                problems.Add(problem);
                continue;
            }
            if (!row.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"Row {at} ({kind}/{key}): payload must be a JSON object, got {(payload.ValueKind == JsonValueKind.Undefined ? "nothing" : payload.ValueKind.ToString())}.");
                continue;
            }
            if (seen.TryGetValue((kind!, key!), out var first))
            {
                problems.Add($"Row {at} ({kind}/{key}): duplicate of row {first}.");
                continue;
            }
            seen.Add((kind!, key!), at);
            rows.Add(new SnapshotRow(kind!, key!, Compact(payload)));
        }
    }

    private string? TerminalMunicipality()
    {
        var id = database.TerminalId;
        return id.Length > 7 && id[6] == '-' && MunicipalityCode.TryParse(id[..6], out _) ? id[..6] : null;
    }

    private static string? StringProperty(JsonElement row, string name) =>
        row.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Quote(string? value) => value is null ? "missing" : $"\"{value}\"";

    private static string Describe(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? value.GetRawText() : "(missing)";

    private static string Compact(JsonElement payload)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = StoreJson.Options.Encoder }))
        {
            payload.WriteTo(writer);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private sealed record SnapshotRow(string Kind, string Key, string Payload);

    private sealed record ParsedSnapshot(string Municipality, DateTimeOffset CreatedAt, long Sequence, List<SnapshotRow> Rows);
}
