using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CardAp.Shared.Domain;
using CardAp.Shared.Hours;

namespace CardAp.Hub.Validation;

/// <summary>
/// Checks service hours rows (kind <see cref="MasterKinds.ServiceHours"/>, key = service id) and local
/// closure days (kind <see cref="MasterKinds.Closure"/>) with the same schedule code the edge runs
/// (<see cref="ServiceSchedule.FromText"/>). The edge closes a service whose hours row it cannot read
/// rather than guess, so the hub refuses such a row before a whole municipality's counters close.
/// </summary>
public static class ServiceHoursValidator
{
    private static readonly string[] HoursProperties = ["service", "days", "openOnHolidays", "alwaysOpen"];
    private static readonly string[] ClosureProperties = ["date", "service", "reasonEn", "reasonJa"];

    public static IReadOnlyList<MasterProblem> Validate(string kind, string key, JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return kind switch
        {
            MasterKinds.ServiceHours => Hours(key, payload),
            MasterKinds.Closure => Closure(payload),
            _ => [],
        };
    }

    private static List<MasterProblem> Hours(string key, JsonObject payload)
    {
        var problems = UnknownProperties(payload, HoursProperties);
        if (Text(payload, "service", problems, required: true) is { } service && service != key)
        {
            problems.Add(new MasterProblem("service", $"'{service}' differs from the row's key '{key}'.", $"'{service}' が行のキー '{key}' と一致しません。"));
        }
        var openOnHolidays = Flag(payload, "openOnHolidays", problems);
        var alwaysOpen = Flag(payload, "alwaysOpen", problems);
        var days = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (payload["days"] is { } node)
        {
            if (node is not JsonObject daysObject)
            {
                problems.Add(new MasterProblem("days", "must be an object of day names to lists of \"HH:mm-HH:mm\".", "曜日から時間帯(\"HH:mm-HH:mm\")の一覧への対応で指定してください。"));
            }
            else
            {
                foreach (var (day, intervals) in daysObject)
                {
                    if (intervals is not JsonArray array || array.Any(i => i?.GetValueKind() != JsonValueKind.String))
                    {
                        problems.Add(new MasterProblem($"days.{day}", "must be a list of \"HH:mm-HH:mm\" texts.", "\"HH:mm-HH:mm\" の文字列の一覧で指定してください。"));
                        continue;
                    }
                    days[day] = array.Select(i => (string)i!).ToArray();
                }
            }
        }
        else if (alwaysOpen != true)
        {
            problems.Add(new MasterProblem("days", "is required unless alwaysOpen is true.", "alwaysOpen が true でない場合は必須です。"));
        }
        if (problems.Count == 0 && alwaysOpen != true)
        {
            try
            {
                ServiceSchedule.FromText(days, openOnHolidays ?? false);
            }
            catch (ArgumentException e)
            {
                var message = e.Message.Split(" (Parameter", 2)[0];
                problems.Add(new MasterProblem("days", message, $"サービス時間を読み取れません(曜日は monday〜sunday、時間帯は \"HH:mm-HH:mm\"): {message}"));
            }
        }
        return problems;
    }

    private static List<MasterProblem> Closure(JsonObject payload)
    {
        var problems = UnknownProperties(payload, ClosureProperties);
        if (Text(payload, "date", problems, required: true) is { } date
            && !DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            problems.Add(new MasterProblem("date", $"'{date}' is not a date as yyyy-MM-dd.", $"'{date}' は日付(yyyy-MM-dd)ではありません。"));
        }
        if (Text(payload, "service", problems, required: false) is { } service && !IsServiceId(service))
        {
            problems.Add(new MasterProblem("service", $"'{service}' is not a service id.", $"'{service}' はサービスIDとして使えません。"));
        }
        Text(payload, "reasonEn", problems, required: false);
        Text(payload, "reasonJa", problems, required: false);
        return problems;
    }

    private static bool IsServiceId(string text)
    {
        try
        {
            ServiceId.Parse(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static List<MasterProblem> UnknownProperties(JsonObject payload, string[] known) =>
        payload.Where(p => !known.Contains(p.Key, StringComparer.Ordinal))
            .Select(p => new MasterProblem(p.Key, $"is not a property of this row; the properties are {string.Join(", ", known)}.",
                $"この行にない項目です。項目は {string.Join(", ", known)} です。"))
            .ToList();

    private static string? Text(JsonObject payload, string name, List<MasterProblem> problems, bool required)
    {
        var node = payload[name];
        if (node is null)
        {
            if (required)
            {
                problems.Add(new MasterProblem(name, "is required.", "必須です。"));
            }
            return null;
        }
        if (node.GetValueKind() != JsonValueKind.String)
        {
            problems.Add(new MasterProblem(name, "must be text.", "文字列で指定してください。"));
            return null;
        }
        return (string)node!;
    }

    private static bool? Flag(JsonObject payload, string name, List<MasterProblem> problems)
    {
        switch (payload[name]?.GetValueKind())
        {
            case null:
                return null;
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                problems.Add(new MasterProblem(name, "must be true or false.", "true または false で指定してください。"));
                return null;
        }
    }
}
