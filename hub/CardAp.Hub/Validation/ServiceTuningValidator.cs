using System.Text.Json;
using System.Text.Json.Nodes;
using CardAp.Hub.Store;
using CardAp.Shared.Domain;
using CardAp.Shared.Services;

namespace CardAp.Hub.Validation;

/// <summary>
/// Checks a service tuning row (チューニング, master kind <see cref="MasterKinds.ServiceTuning"/>, key =
/// service id) against its service's <see cref="ServiceSchema"/> before the hub stores it. The edge
/// ignores a tuned value it cannot use and keeps the default, which only its log tells; a row it
/// cannot read at all (a number where text belongs, "false" where a boolean belongs) makes its
/// service catalog fail to build. So the hub refuses such a row, naming every problem. Rows of
/// other kinds pass untouched.
/// </summary>
public sealed class ServiceTuningValidator(IMasterStore master)
{
    public const string IdProperty = "id";
    public const string EnabledProperty = "enabled";
    public const string SettingsProperty = "settings";
    public const string OfflineProperty = "offline";
    public const string KioskProperty = "kiosk";

    // Values are quoted back as written, Japanese included, rather than \u-escaped.
    private static readonly JsonSerializerOptions ShowOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The properties of <c>ServiceTuningRow</c> as the edge reads them (camelCase).</summary>
    public static IReadOnlyList<string> Properties { get; } = [IdProperty, EnabledProperty, SettingsProperty, OfflineProperty, KioskProperty];

    /// <summary>
    /// The problems of a row about to be stored for <paramref name="municipality"/>; empty when it may
    /// be stored. A service that is not built in must be an attendance service of that municipality,
    /// so its definition is read from the store.
    /// </summary>
    public async Task<IReadOnlyList<MasterProblem>> ValidateAsync(
        MunicipalityCode municipality, string kind, string key, JsonObject payload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (kind != MasterKinds.ServiceTuning)
        {
            return [];
        }
        JsonObject? definition = null;
        if (ServiceIdProblem(key) is null && ServiceSchemas.FindBuiltIn(key) is null)
        {
            var row = await master.GetAsync(municipality, MasterKinds.AttendanceDefinition, key, cancellationToken);
            definition = row?.Payload();
        }
        return Validate(kind, key, payload, id => id == key ? definition : null);
    }

    /// <summary>As <see cref="ValidateAsync"/>, throwing the INVALID_ARGUMENT refusal (<see cref="MasterProblems.Refusal"/>) when there is a problem.</summary>
    public async Task EnsureValidAsync(
        MunicipalityCode municipality, string kind, string key, JsonObject payload, CancellationToken cancellationToken = default)
    {
        var problems = await ValidateAsync(municipality, kind, key, payload, cancellationToken);
        if (problems.Count > 0)
        {
            throw MasterProblems.Refusal(kind, key, problems);
        }
    }

    /// <summary>
    /// The problems of a row, with the municipality's attendance definitions given by
    /// <paramref name="attendanceDefinition"/> (service id → stored definition, or null).
    /// </summary>
    public static IReadOnlyList<MasterProblem> Validate(string kind, string key, JsonObject payload, Func<string, JsonObject?> attendanceDefinition)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(attendanceDefinition);
        if (kind != MasterKinds.ServiceTuning)
        {
            return [];
        }
        var problems = new List<MasterProblem>();
        var service = FindService(key, attendanceDefinition, problems);

        foreach (var (name, _) in payload)
        {
            if (!Properties.Contains(name, StringComparer.Ordinal))
            {
                var known = string.Join(", ", Properties);
                problems.Add(Properties.FirstOrDefault(p => string.Equals(p, name, StringComparison.OrdinalIgnoreCase)) is { } spelled
                    ? new MasterProblem(name, $"write this property as '{spelled}'.", $"プロパティ名は '{spelled}' と書いてください。")
                    : new MasterProblem(name, $"unknown property (known: {known}).", $"不明なプロパティです（使用できるもの: {known}）。"));
            }
        }

        CheckId(key, payload, problems);

        if (payload.TryGetPropertyValue(EnabledProperty, out var enabled) && !IsBoolean(enabled))
        {
            problems.Add(new MasterProblem(EnabledProperty, $"must be true or false, got {Show(enabled)}.", $"true または false で指定してください（指定値: {Show(enabled)}）。"));
        }

        foreach (var (name, value) in Entries(payload, SettingsProperty, problems))
        {
            CheckSetting(service, name, value, problems);
        }
        foreach (var (name, value) in Entries(payload, OfflineProperty, problems))
        {
            CheckOffline(service, name, value, problems);
        }
        foreach (var (name, value) in Entries(payload, KioskProperty, problems))
        {
            CheckKiosk(service, name, value, problems);
        }
        return problems;
    }

    private static ServiceSchema? FindService(string key, Func<string, JsonObject?> attendanceDefinition, List<MasterProblem> problems)
    {
        if (ServiceIdProblem(key) is { } problem)
        {
            problems.Add(new MasterProblem("key", $"'{key}' is not a service id: {problem}", $"'{key}' はサービスIDとして使えません。サービスIDは16文字以内の英数字と '-' です。"));
            return null;
        }
        if (ServiceSchemas.FindBuiltIn(key) is { } builtIn)
        {
            return builtIn;
        }
        if (attendanceDefinition(key) is not { } definition)
        {
            var builtIns = string.Join(", ", ServiceSchemas.BuiltIn.Select(s => s.Id));
            problems.Add(new MasterProblem(
                "key",
                $"there is no service '{key}': it is neither built in ({builtIns}) nor an attendance service of this municipality (master kind {MasterKinds.AttendanceDefinition}).",
                $"サービス '{key}' はありません。組み込みサービス（{builtIns}）でも、この市町村の独自サービス（マスタ種別 {MasterKinds.AttendanceDefinition}）でもありません。"));
            return null;
        }
        if (AttendanceSchemas.FromDefinition(key, definition) is not { } schema)
        {
            problems.Add(new MasterProblem(
                "key",
                $"the attendance definition of '{key}' cannot be read, so terminals do not offer this service: correct the definition first.",
                $"独自サービス '{key}' の定義に誤りがあり、端末ではこのサービスを利用できません。先に定義を修正してください。"));
            return null;
        }
        return schema;
    }

    private static void CheckId(string key, JsonObject payload, List<MasterProblem> problems)
    {
        if (!payload.TryGetPropertyValue(IdProperty, out var node) || node is null)
        {
            problems.Add(new MasterProblem(IdProperty, $"missing: write the service id, \"{key}\".", $"サービスIDがありません。\"{key}\" を指定してください。"));
        }
        else if (Text(node) is not { } id)
        {
            problems.Add(new MasterProblem(IdProperty, $"must be a string, got {Show(node)}.", $"文字列で指定してください（指定値: {Show(node)}）。"));
        }
        else if (id != key)
        {
            problems.Add(new MasterProblem(IdProperty, $"'{id}' differs from the key '{key}'; they must be the same service id.", $"'{id}' がキー '{key}' と異なります。同じサービスIDを指定してください。"));
        }
    }

    /// <summary>The entries of an optional object-valued property; absent or null means none, as the edge reads it.</summary>
    private static IEnumerable<(string Name, JsonNode? Value)> Entries(JsonObject payload, string property, List<MasterProblem> problems)
    {
        if (!payload.TryGetPropertyValue(property, out var node) || node is null)
        {
            return [];
        }
        if (node is not JsonObject entries)
        {
            problems.Add(new MasterProblem(property, $"must be an object of name to value, got {Show(node)}.", $"名前と値の組のオブジェクトで指定してください（指定値: {Show(node)}）。"));
            return [];
        }
        return [.. entries.Select(pair => (pair.Key, pair.Value))];
    }

    private static void CheckSetting(ServiceSchema? service, string name, JsonNode? value, List<MasterProblem> problems)
    {
        var field = $"{SettingsProperty}.{name}";
        if (service is not null && service.Setting(name) is null)
        {
            problems.Add(service.Settings.Count == 0
                ? new MasterProblem(field, $"{service.NameEn} ({service.Id}) has no settings.", $"{service.NameJa}（{service.Id}）には設定項目がありません。")
                : new MasterProblem(field,
                    $"{service.NameEn} ({service.Id}) has no setting '{name}' (known: {Known(service.Settings.Select(s => s.Name))}).",
                    $"{service.NameJa}（{service.Id}）に設定項目 '{name}' はありません（使用できるもの: {Known(service.Settings.Select(s => s.Name))}）。"));
            return;
        }
        // Setting values travel as text: a JSON number would make the edge unable to read the whole row.
        if (Text(value) is not { } text)
        {
            var example = value?.GetValueKind() == JsonValueKind.Number ? $", e.g. \"{Show(value)}\"" : string.Empty;
            var exampleJa = value?.GetValueKind() == JsonValueKind.Number ? $"（例: \"{Show(value)}\"）" : string.Empty;
            problems.Add(new MasterProblem(field, $"must be written as a string{example}, got {Show(value)}.", $"値は文字列で指定してください{exampleJa}（指定値: {Show(value)}）。"));
            return;
        }
        if (service?.Setting(name)?.Check(text) is { } problem)
        {
            problems.Add(new MasterProblem(field, problem.MessageEn, problem.MessageJa));
        }
    }

    private static void CheckOffline(ServiceSchema? service, string name, JsonNode? value, List<MasterProblem> problems)
    {
        var field = $"{OfflineProperty}.{name}";
        var operation = Operation(service, name, field, problems);
        var names = string.Join(", ", OfflinePolicies.Names);
        if (!OfflinePolicies.TryParse(Text(value), out var policy))
        {
            problems.Add(new MasterProblem(field, $"{Show(value)} is not an offline policy (known: {names}).", $"{Show(value)} はオフライン時の扱いとして指定できません（使用できるもの: {names}）。"));
            return;
        }
        if (operation is null || OfflinePolicies.TuningChoices(operation.OfflineDefault).Contains(policy))
        {
            return;
        }
        var choices = string.Join(", ", OfflinePolicies.TuningChoices(operation.OfflineDefault));
        problems.Add(policy < operation.OfflineDefault
            ? new MasterProblem(field,
                $"{policy} is looser than the default {operation.OfflineDefault} of {service!.Id}.{name}: tuning may only tighten it (possible: {choices}).",
                $"{policy} は {service!.Id}.{name} の既定値 {operation.OfflineDefault} より緩い設定です。チューニングでは制限を強めることしかできません（指定できるもの: {choices}）。")
            : new MasterProblem(field,
                $"Limited needs a limit that {service!.Id}.{name} does not have; it would change nothing (possible: {choices}).",
                $"{service!.Id}.{name} には上限の仕組みがないため Limited は効果がありません（指定できるもの: {choices}）。"));
    }

    private static void CheckKiosk(ServiceSchema? service, string name, JsonNode? value, List<MasterProblem> problems)
    {
        var field = $"{KioskProperty}.{name}";
        var operation = Operation(service, name, field, problems);
        if (!IsBoolean(value))
        {
            problems.Add(new MasterProblem(field, $"must be true or false, got {Show(value)}.", $"true または false で指定してください（指定値: {Show(value)}）。"));
            return;
        }
        if (operation is { KioskAllowed: false } && value!.GetValue<bool>())
        {
            problems.Add(new MasterProblem(field,
                $"{service!.Id}.{name} may not be used at a kiosk; tuning may only switch kiosk use off.",
                $"{service!.Id}.{name} はキオスク（無人端末）では利用できません。チューニングではキオスク利用を停止することしかできません。"));
        }
    }

    /// <summary>The operation a tuning entry names; null (with a problem) when the service has no such operation, or when the service itself is unknown.</summary>
    private static OperationSchema? Operation(ServiceSchema? service, string name, string field, List<MasterProblem> problems)
    {
        if (service is null)
        {
            return null;
        }
        if (service.Operation(name) is { } operation)
        {
            return operation;
        }
        var known = Known(service.Operations.Select(o => o.Name));
        problems.Add(new MasterProblem(field,
            $"{service.NameEn} ({service.Id}) has no operation '{name}' (known: {known}).",
            $"{service.NameJa}（{service.Id}）に操作 '{name}' はありません（使用できるもの: {known}）。"));
        return null;
    }

    /// <summary>The rule of <see cref="ServiceId"/>, which a card's services file holds; null when the key follows it.</summary>
    private static string? ServiceIdProblem(string key)
    {
        try
        {
            _ = ServiceId.Parse(key);
            return null;
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }

    private static bool IsBoolean(JsonNode? node) => node?.GetValueKind() is JsonValueKind.True or JsonValueKind.False;

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static string Known(IEnumerable<string> names) => string.Join(", ", names);

    private static string Show(JsonNode? node) => node?.ToJsonString(ShowOptions) ?? "null";
}
