using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CardAp.Hub.Api;
using CardAp.Hub.Validation;
using CardAp.Provision.Cli;
using CardAp.Shared.Domain;
using CardAp.Shared.Services;

namespace CardAp.Provision.Commands;

/// <summary>
/// `tuning`: a municipality's service tuning (チューニング), the master row of kind "service" keyed by
/// the service id: enabled, setting values, offline policy and kiosk use per operation. Rows are
/// checked here with the hub's own <see cref="ServiceTuningValidator"/> before anything is written,
/// so a refused value comes back with every problem named and the row stays as it was.
/// </summary>
public static class TuningCommands
{
    private const string Kind = MasterKinds.ServiceTuning;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create(HubOptions hub) => new("tuning", "Service tuning per municipality: show it with its settings' defaults and ranges, change it, or check a row from a file.")
    {
        Get(hub),
        Set(hub),
        Validate(hub),
    };

    private static Command Get(HubOptions hub)
    {
        var municipality = CommonOptions.Municipality();
        var service = Service();
        var get = new Command("get", "Shows a service's tuning in a municipality: whether it is enabled, each setting with its value, default, range and meaning, " +
            "and per operation the offline policy and kiosk use with what tuning may choose.\n" +
            "Example: cardap-provision tuning get --municipality 131016 --service library --hub https://hub:5001")
        {
            municipality, service,
        };
        AddHub(get, hub);
        get.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var code = CaCommands.ParseMunicipality(result.GetValue(municipality));
            var id = result.GetValue(service)!;
            var (channel, admin) = hub.Connect(result, CaCommands.Passphrase(result));
            using (channel)
            {
                var definitions = await AttendanceDefinitionsAsync(admin, code, id, cancellationToken);
                var schema = Schema(code, id, definitions);
                var row = await RowAsync(admin, code, id, cancellationToken);
                return Show(code, schema, row);
            }
        }));
        return get;
    }

    private static Command Set(HubOptions hub)
    {
        var municipality = CommonOptions.Municipality();
        var service = Service();
        var settings = new Option<string[]>("--setting") { Description = "name=value for a setting (repeat for more), e.g. loanLimit=5; `tuning get` lists the names and ranges.", AllowMultipleArgumentsPerToken = false };
        var offline = new Option<string[]>("--offline") { Description = "operation=Allowed|Limited|OnlineOnly: the offline policy of an operation (repeat); tuning may only tighten the default." };
        var kiosk = new Option<string[]>("--kiosk") { Description = "operation=true|false: whether an operation may run at a kiosk (repeat); tuning may only switch it off." };
        var enabled = new Option<bool?>("--enabled") { Description = "true or false: offer the service on the municipality's terminals at all." };
        var set = new Command("set", "Changes a service's tuning: reads the current row, changes what is asked, checks the whole row with the hub's rules and writes it. " +
            "A value the rules refuse ends with exit 2 naming every problem, and the row stays as it was.\n" +
            "Example: cardap-provision tuning set --municipality 131016 --service library --setting loanLimit=5 --setting loanPeriodDays=21 --kiosk renew=false --hub https://hub:5001")
        {
            municipality, service, settings, offline, kiosk, enabled,
        };
        AddHub(set, hub);
        set.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var code = CaCommands.ParseMunicipality(result.GetValue(municipality));
            var id = result.GetValue(service)!;
            var settingValues = Pairs(result.GetValue(settings), "--setting");
            var offlineValues = Pairs(result.GetValue(offline), "--offline");
            var kioskValues = Pairs(result.GetValue(kiosk), "--kiosk").Select(p => (p.Name, Value: Boolean(p.Value, p.Name))).ToList();
            var enable = result.GetValue(enabled);
            if (settingValues.Count == 0 && offlineValues.Count == 0 && kioskValues.Count == 0 && enable is null)
            {
                throw new ProvisionException(ExitCodes.Usage, "NothingToSet", "Say what to change: --setting name=value, --offline operation=policy, --kiosk operation=true|false or --enabled true|false.",
                    "変更内容を指定してください: --setting 名前=値、--offline 操作=方針、--kiosk 操作=true|false、--enabled true|false のいずれか。");
            }

            var (channel, admin) = hub.Connect(result, CaCommands.Passphrase(result));
            using (channel)
            {
                var current = await RowAsync(admin, code, id, cancellationToken);
                var before = current?.Payload ?? new JsonObject { [ServiceTuningValidator.IdProperty] = id };
                var payload = before.DeepClone().AsObject();
                foreach (var (name, value) in settingValues)
                {
                    Entries(payload, ServiceTuningValidator.SettingsProperty)[name] = value;
                }
                foreach (var (name, value) in offlineValues)
                {
                    Entries(payload, ServiceTuningValidator.OfflineProperty)[name] = OfflinePolicies.TryParse(value, out var policy) ? policy.ToString() : value;
                }
                foreach (var (name, value) in kioskValues)
                {
                    Entries(payload, ServiceTuningValidator.KioskProperty)[name] = value;
                }
                if (enable is { } on)
                {
                    payload[ServiceTuningValidator.EnabledProperty] = on;
                }

                var definitions = await AttendanceDefinitionsAsync(admin, code, id, cancellationToken);
                var problems = ServiceTuningValidator.Validate(Kind, id, payload, definitions);
                if (problems.Count > 0)
                {
                    return Refused(code.Value, id, problems, payload, checkOnly: false);
                }
                var changes = Differences(before, payload);
                var write = await admin.PutMasterAsync(new PutMasterRequest { Municipality = code.Value, Kind = Kind, Key = id, PayloadJson = payload.ToJsonString() },
                    cancellationToken: cancellationToken);
                var lines = new List<string>();
                if (write.Changed)
                {
                    lines.Add($"Tuning of {id} in municipality {code.Value} is written (change {write.ChangeSeq}); terminals take it at their next sync:");
                    lines.Add($"市町村 {code.Value} のサービス {id} のチューニングを登録しました（変更番号 {write.ChangeSeq}）。各端末には次回の同期で反映されます:");
                    lines.AddRange(changes.Select(c => "  " + c));
                }
                else
                {
                    lines.Add($"Tuning of {id} in municipality {code.Value} already had these values; nothing was changed.");
                    lines.Add($"市町村 {code.Value} のサービス {id} のチューニングは既にこの値です。変更はありません。");
                }
                return new CommandResult(lines, new JsonObject
                {
                    ["municipality"] = code.Value,
                    ["service"] = id,
                    ["changed"] = write.Changed,
                    ["changeSeq"] = write.ChangeSeq,
                    ["row"] = payload.DeepClone(),
                });
            }
        }));
        return set;
    }

    private static Command Validate(HubOptions hub)
    {
        var file = new Option<FileInfo>("--file") { Description = "A JSON file holding one tuning row, e.g. {\"id\":\"library\",\"settings\":{\"loanLimit\":\"5\"}} (the \"row\" that `tuning get --json` prints).", Required = true };
        var service = Service();
        service.Required = false;
        service.Description = "The service the row is for (default: the row's \"id\").";
        var municipality = CommonOptions.Municipality();
        municipality.Required = false;
        municipality.Description = "The municipality, needed only for its own attendance services (their definitions are read from the hub); built-in services are checked without the hub.";
        var validate = new Command("validate", "Checks a tuning row from a file with the hub's rules, without writing anything. Exit 0 when it may be stored, 2 with every problem named when not.\n" +
            "Example: cardap-provision tuning validate --file library-tuning.json")
        {
            file, service, municipality,
        };
        AddHub(validate, hub);
        validate.SetAction((result, cancellationToken) => CommonOptions.Context(result).RunAsync(async () =>
        {
            var path = result.GetValue(file)!;
            var payload = await ReadRowAsync(path, cancellationToken);
            var id = result.GetValue(service) ?? (payload[ServiceTuningValidator.IdProperty] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null)
                ?? throw new ProvisionException(ExitCodes.Usage, "ServiceUnknown", $"{path.Name} has no \"id\": give the service with --service.",
                    $"{path.Name} に \"id\" がありません。--service でサービスを指定してください。");
            Func<string, JsonObject?> definitions = _ => null;
            var builtIn = ServiceSchemas.FindBuiltIn(id) is not null;
            var where = result.GetValue(municipality) is { } given ? CaCommands.ParseMunicipality(given).Value : null;
            if (!builtIn && where is null)
            {
                throw new ProvisionException(ExitCodes.Usage, "MunicipalityNeeded",
                    $"'{id}' is not a built-in service ({BuiltIns()}); an attendance service is defined per municipality, so give --municipality and the hub options to check against its definition.",
                    $"'{id}' は組み込みサービス（{BuiltIns()}）ではありません。市町村独自サービスは市町村ごとに定義されるため、--municipality とハブの接続オプションを指定してください。");
            }
            if (!builtIn)
            {
                var code = CaCommands.ParseMunicipality(where);
                var (channel, admin) = hub.Connect(result, CaCommands.Passphrase(result));
                using (channel)
                {
                    definitions = await AttendanceDefinitionsAsync(admin, code, id, cancellationToken);
                }
            }
            var problems = ServiceTuningValidator.Validate(Kind, id, payload, definitions);
            if (problems.Count > 0)
            {
                return Refused(where, id, problems, payload, checkOnly: true);
            }
            return new CommandResult(
                [$"{path.Name}: the tuning row for {id} may be stored (nothing was written).", $"{path.Name}: {id} のチューニング行は登録できる内容です（書き込みは行っていません）。"],
                new JsonObject { ["file"] = path.FullName, ["service"] = id, ["valid"] = true, ["problems"] = new JsonArray() });
        }));
        return validate;
    }

    private static Option<string> Service() => new("--service") { Description = "The service id: library, shelter, points, seal, or an attendance service of the municipality.", Required = true };

    private static void AddHub(Command command, HubOptions hub)
    {
        foreach (var option in hub.All)
        {
            command.Options.Add(option);
        }
    }

    private sealed record StoredRow(JsonObject Payload, long ChangeSeq);

    private static async Task<StoredRow?> RowAsync(Admin.AdminClient admin, MunicipalityCode municipality, string service, CancellationToken cancellationToken)
    {
        var rows = await admin.ListMasterAsync(new ListMasterRequest { Municipality = municipality.Value, Kind = Kind }, cancellationToken: cancellationToken);
        var row = rows.Rows.FirstOrDefault(r => r.Key == service);
        return row is null ? null : new StoredRow(JsonNode.Parse(row.PayloadJson) as JsonObject ?? [], row.ChangeSeq);
    }

    /// <summary>The municipality's attendance definitions by service id, as the hub's validator reads them; built-in services need none.</summary>
    private static async Task<Func<string, JsonObject?>> AttendanceDefinitionsAsync(Admin.AdminClient admin, MunicipalityCode municipality, string service, CancellationToken cancellationToken)
    {
        if (ServiceSchemas.FindBuiltIn(service) is not null)
        {
            return _ => null;
        }
        var rows = await admin.ListMasterAsync(new ListMasterRequest { Municipality = municipality.Value, Kind = MasterKinds.AttendanceDefinition }, cancellationToken: cancellationToken);
        var definition = rows.Rows.FirstOrDefault(r => r.Key == service) is { } row ? JsonNode.Parse(row.PayloadJson) as JsonObject : null;
        return id => id == service ? definition : null;
    }

    private static ServiceSchema Schema(MunicipalityCode municipality, string service, Func<string, JsonObject?> definitions)
    {
        if (ServiceSchemas.FindBuiltIn(service) is { } builtIn)
        {
            return builtIn;
        }
        if (definitions(service) is { } definition && AttendanceSchemas.FromDefinition(service, definition) is { } schema)
        {
            return schema;
        }
        throw ProvisionException.Refused("UnknownService",
            $"Municipality {municipality.Value} has no service '{service}': it is neither built in ({BuiltIns()}) nor a readable attendance service (master kind {MasterKinds.AttendanceDefinition}).",
            $"市町村 {municipality.Value} にサービス '{service}' はありません。組み込みサービス（{BuiltIns()}）でも、読み取れる独自サービス（マスタ種別 {MasterKinds.AttendanceDefinition}）でもありません。");
    }

    private static string BuiltIns() => string.Join(", ", ServiceSchemas.BuiltIn.Select(s => s.Id));

    private static CommandResult Show(MunicipalityCode municipality, ServiceSchema schema, StoredRow? row)
    {
        var payload = row?.Payload ?? [];
        var enabled = payload[ServiceTuningValidator.EnabledProperty] is JsonValue e && e.TryGetValue<bool>(out var on) ? on : true;
        var lines = new List<string>
        {
            $"{schema.NameEn} ({schema.Id}) in municipality {municipality.Value}: {(enabled ? "enabled" : "disabled")}; " +
                (row is null ? "no tuning row, so every value is the default." : $"tuning row at change {row.ChangeSeq}."),
            $"{schema.NameJa}（{schema.Id}）市町村 {municipality.Value}: {(enabled ? "有効" : "停止中")}。" +
                (row is null ? "チューニング行はなく、すべて既定値です。" : $"チューニング行（変更番号 {row.ChangeSeq}）。"),
        };
        var settingsJson = new JsonArray();
        var tunedSettings = payload[ServiceTuningValidator.SettingsProperty] as JsonObject;
        lines.Add(schema.Settings.Count == 0 ? "Settings / 設定項目: none / なし" : "Settings / 設定項目:");
        foreach (var setting in schema.Settings)
        {
            var tuned = tunedSettings?[setting.Name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
            var range = $"{setting.Min.ToString(CultureInfo.InvariantCulture)}..{setting.Max.ToString(CultureInfo.InvariantCulture)}";
            lines.Add($"  {setting.Name} = {tuned ?? setting.Default} ({(tuned is null ? "default" : $"default {setting.Default}")}; {setting.Type.ToString().ToLowerInvariant()} {range}): {setting.DescriptionEn}");
            lines.Add($"      {(tuned is null ? "既定値" : $"既定値 {setting.Default}")}、範囲 {range}: {setting.DescriptionJa}");
            settingsJson.Add(new JsonObject
            {
                ["name"] = setting.Name,
                ["value"] = tuned ?? setting.Default,
                ["tuned"] = tuned is not null,
                ["default"] = setting.Default,
                ["type"] = setting.Type.ToString(),
                ["min"] = setting.Min,
                ["max"] = setting.Max,
                ["descriptionEn"] = setting.DescriptionEn,
                ["descriptionJa"] = setting.DescriptionJa,
            });
        }
        var operationsJson = new JsonArray();
        var tunedOffline = payload[ServiceTuningValidator.OfflineProperty] as JsonObject;
        var tunedKiosk = payload[ServiceTuningValidator.KioskProperty] as JsonObject;
        lines.Add("Operations / 操作:");
        foreach (var operation in schema.Operations)
        {
            var offline = OfflinePolicies.TryParse(tunedOffline?[operation.Name] is JsonValue o && o.TryGetValue<string>(out var p) ? p : null, out var policy) ? policy : operation.OfflineDefault;
            var kiosk = tunedKiosk?[operation.Name] is JsonValue k && k.TryGetValue<bool>(out var kioskOn) ? kioskOn && operation.KioskAllowed : operation.KioskAllowed;
            var choices = OfflinePolicies.TuningChoices(operation.OfflineDefault);
            lines.Add($"  {operation.Name}: offline {offline} (default {operation.OfflineDefault}; may be {string.Join(", ", choices)}), " +
                $"kiosk {(kiosk ? "yes" : "no")} ({(operation.KioskAllowed ? "allowed by default; may be switched off" : "never at a kiosk")})");
            lines.Add($"      オフライン時 {offline}（既定 {operation.OfflineDefault}、指定可: {string.Join("、", choices)}）、キオスク {(kiosk ? "利用可" : "利用不可")}" +
                $"（{(operation.KioskAllowed ? "既定で利用可、停止のみ可" : "キオスクでは利用不可")}）");
            operationsJson.Add(new JsonObject
            {
                ["name"] = operation.Name,
                ["offline"] = offline.ToString(),
                ["offlineDefault"] = operation.OfflineDefault.ToString(),
                ["offlineChoices"] = new JsonArray([.. choices.Select(c => (JsonNode)c.ToString())]),
                ["kiosk"] = kiosk,
                ["kioskAllowed"] = operation.KioskAllowed,
            });
        }
        return new CommandResult(lines, new JsonObject
        {
            ["municipality"] = municipality.Value,
            ["service"] = schema.Id,
            ["nameEn"] = schema.NameEn,
            ["nameJa"] = schema.NameJa,
            ["enabled"] = enabled,
            ["row"] = row?.Payload.DeepClone(),
            ["changeSeq"] = row?.ChangeSeq,
            ["settings"] = settingsJson,
            ["operations"] = operationsJson,
        });
    }

    /// <summary>The validator's problems, every one in English and Japanese; exit 2.</summary>
    private static CommandResult Refused(string? municipality, string service, IReadOnlyList<MasterProblem> problems, JsonObject payload, bool checkOnly)
    {
        var where = municipality is null ? string.Empty : $" in municipality {municipality}";
        var whereJa = municipality is null ? string.Empty : $"市町村 {municipality} の";
        var en = checkOnly
            ? $"The tuning row for {service}{where} would be refused: {problems.Count} problem(s). Nothing was written."
            : $"The tuning of {service}{where} was refused: {problems.Count} problem(s). Nothing was written; the row stays as it was.";
        var ja = checkOnly
            ? $"{whereJa}サービス {service} のチューニング行には誤りが {problems.Count} 件あり、登録できません。書き込みは行っていません。"
            : $"{whereJa}サービス {service} のチューニングは誤りが {problems.Count} 件あるため登録しませんでした。現在の設定は変わっていません。";
        var lines = new List<string>();
        foreach (var problem in problems)
        {
            lines.Add($"  {problem.Field}: {problem.MessageEn}");
            lines.Add($"  {problem.Field}: {problem.MessageJa}");
        }
        return new CommandResult(lines, new JsonObject
        {
            ["service"] = service,
            ["valid"] = false,
            ["problems"] = new JsonArray([.. problems.Select(p => (JsonNode)new JsonObject { ["field"] = p.Field, ["message"] = p.MessageEn, ["messageJa"] = p.MessageJa })]),
            ["row"] = payload.DeepClone(),
        }, ProvisionException.Refused("InvalidTuning", en, ja));
    }

    private static List<(string Name, string Value)> Pairs(string[]? values, string option)
    {
        var pairs = new List<(string, string)>();
        foreach (var value in values ?? [])
        {
            var at = value.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0)
            {
                throw new ProvisionException(ExitCodes.Usage, "BadPair", $"{option} '{value}': write name=value, e.g. {option} {Example(option)}.",
                    $"{option} '{value}': 名前=値 の形で指定してください（例: {option} {Example(option)}）。");
            }
            pairs.Add((value[..at].Trim(), value[(at + 1)..].Trim()));
        }
        return pairs;
    }

    private static string Example(string option) => option switch
    {
        "--offline" => "redeem=OnlineOnly",
        "--kiosk" => "renew=false",
        _ => "loanLimit=5",
    };

    private static bool Boolean(string value, string operation) =>
        bool.TryParse(value, out var flag)
            ? flag
            : throw new ProvisionException(ExitCodes.Usage, "BadPair", $"--kiosk {operation}={value}: the value is true or false.", $"--kiosk {operation}={value}: 値は true または false で指定してください。");

    /// <summary>The object under <paramref name="property"/>, created when the row has none.</summary>
    private static JsonObject Entries(JsonObject payload, string property)
    {
        if (payload[property] is JsonObject entries)
        {
            return entries;
        }
        entries = [];
        payload[property] = entries;
        return entries;
    }

    /// <summary>What changes between two rows, one line per value: "settings.loanLimit: 10 (default) -> 5".</summary>
    private static List<string> Differences(JsonObject before, JsonObject after)
    {
        var changes = new List<string>();
        if (!JsonNode.DeepEquals(before[ServiceTuningValidator.EnabledProperty], after[ServiceTuningValidator.EnabledProperty]))
        {
            changes.Add($"enabled: {Shown(before[ServiceTuningValidator.EnabledProperty])} -> {Shown(after[ServiceTuningValidator.EnabledProperty])}");
        }
        foreach (var property in new[] { ServiceTuningValidator.SettingsProperty, ServiceTuningValidator.OfflineProperty, ServiceTuningValidator.KioskProperty })
        {
            var old = before[property] as JsonObject;
            foreach (var (name, value) in after[property] as JsonObject ?? [])
            {
                var previous = old?[name];
                if (!JsonNode.DeepEquals(previous, value))
                {
                    changes.Add($"{property}.{name}: {Shown(previous)} -> {Shown(value)}");
                }
            }
        }
        return changes;
    }

    private static string Shown(JsonNode? node) => node is null ? "(default / 既定値)" : node.ToJsonString(Indented).Trim('"');

    private static async Task<JsonObject> ReadRowAsync(FileInfo file, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(file.FullName, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ProvisionException.Environment("FileUnreadable", $"The file {file.FullName} cannot be read: {e.Message}", $"ファイル {file.FullName} を読み込めません: {e.Message}", e);
        }
        try
        {
            return JsonNode.Parse(text) as JsonObject
                ?? throw ProvisionException.Refused("NotJsonObject", $"{file.Name} must hold one JSON object (a tuning row).", $"{file.Name} にはJSONオブジェクト（チューニング行）を1つ記述してください。");
        }
        catch (JsonException e)
        {
            throw ProvisionException.Refused("NotJson", $"{file.Name} is not valid JSON: {e.Message}", $"{file.Name} はJSONとして読み取れません: {e.Message}", e);
        }
    }
}
