using System.Globalization;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Import;

/// <summary>
/// The registrations CSV (docs/import.md): a header row naming the columns (English or Japanese
/// names, any order), then one registration per row. Every problem is reported with its line;
/// good rows are kept, so one typo does not hide the rest of the file's changes.
/// </summary>
public static class RegistrationCsv
{
    public const int MaxNameLength = 100;

    private static readonly Dictionary<string, string> Columns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["municipality"] = "municipality", ["市町村コード"] = "municipality",
        ["card_number"] = "card_number", ["カード番号"] = "card_number",
        ["service"] = "service", ["サービス"] = "service",
        ["member_number"] = "member_number", ["利用者番号"] = "member_number",
        ["status"] = "status", ["状態"] = "status",
        ["registered_on"] = "registered_on", ["登録日"] = "registered_on",
        ["name"] = "name", ["氏名"] = "name",
    };

    private static readonly string[] Required = ["municipality", "card_number", "service", "member_number", "status", "registered_on"];

    public sealed record Result(IReadOnlyList<RegistrationRow> Rows, IReadOnlyList<BadRow> BadRows, string EncodingName);

    /// <summary>Reads a whole file for one municipality; rows of another municipality are bad rows.</summary>
    /// <exception cref="FormatException">The file itself is unusable (no header, a missing column, an unclosed quote).</exception>
    public static Result Read(ReadOnlySpan<byte> file, MunicipalityCode municipality)
    {
        var (text, encodingName) = CsvText.Decode(file);
        var records = CsvText.Parse(text);
        if (records.Count == 0)
        {
            throw new FormatException("The file is empty: a header row is required.");
        }
        var header = records[0];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < header.Fields.Count; i++)
        {
            var name = header.Fields[i].Trim();
            if (!Columns.TryGetValue(name, out var column))
            {
                throw new FormatException($"Line {header.Line}: unknown column '{name}'. Known columns: {string.Join(", ", Required.Append("name"))}.");
            }
            if (!index.TryAdd(column, i))
            {
                throw new FormatException($"Line {header.Line}: column '{column}' appears twice.");
            }
        }
        var missing = Required.Where(c => !index.ContainsKey(c)).ToList();
        if (missing.Count > 0)
        {
            throw new FormatException($"Line {header.Line}: missing column(s) {string.Join(", ", missing)}.");
        }

        var rows = new List<RegistrationRow>();
        var bad = new List<BadRow>();
        var seen = new Dictionary<(CardNumber, ServiceId), int>();
        foreach (var record in records.Skip(1))
        {
            if (record.Fields.Count != header.Fields.Count)
            {
                bad.Add(new BadRow(record.Line, $"{record.Fields.Count} fields, the header has {header.Fields.Count}.",
                    $"項目数が {record.Fields.Count} 個です。見出し行は {header.Fields.Count} 個です。"));
                continue;
            }
            var problem = TryRow(record, index, municipality, out var row);
            if (problem is not null)
            {
                bad.Add(new BadRow(record.Line, problem.Value.En, problem.Value.Ja));
                continue;
            }
            if (seen.TryGetValue(row!.Key, out var firstLine))
            {
                bad.Add(new BadRow(record.Line, $"card {row.Card} is registered for {row.Service} again (first on line {firstLine}).",
                    $"カード番号 {row.Card} のサービス {row.Service} が重複しています（最初は {firstLine} 行目）。"));
                continue;
            }
            seen[row.Key] = record.Line;
            rows.Add(row);
        }
        return new Result(rows, bad, encodingName);
    }

    private static (string En, string Ja)? TryRow(CsvText.Record record, Dictionary<string, int> index, MunicipalityCode municipality, out RegistrationRow? row)
    {
        row = null;
        string Field(string column) => record.Fields[index[column]].Trim();

        if (!MunicipalityCode.TryParse(Field("municipality"), out var code, out var codeError))
        {
            return (codeError, $"市町村コード '{Field("municipality")}' が不正です（6桁、末尾は JIS X 0402 の検査数字）。");
        }
        if (code != municipality)
        {
            return ($"municipality {code} is not the one being imported ({municipality}).", $"市町村コード {code} は取込先の市町村（{municipality}）ではありません。");
        }
        if (Identifier("card_number", "カード番号", CardNumber.Parse, out var card) is { } cardProblem)
        {
            return cardProblem;
        }
        if (Identifier("service", "サービス", ServiceId.Parse, out var service) is { } serviceProblem)
        {
            return serviceProblem;
        }
        if (Identifier("member_number", "利用者番号", MemberNumber.Parse, out var member) is { } memberProblem)
        {
            return memberProblem;
        }
        RegistrationStatus status;
        switch (Field("status").ToLowerInvariant())
        {
            case "active" or "利用中":
                status = RegistrationStatus.Active;
                break;
            case "stopped" or "停止":
                status = RegistrationStatus.Stopped;
                break;
            default:
                return ($"status '{Field("status")}' is not active/利用中 or stopped/停止.", $"状態 '{Field("status")}' は active/利用中 または stopped/停止 で指定してください。");
        }
        var dateText = Field("registered_on");
        if (!DateOnly.TryParseExact(dateText, ["yyyy-MM-dd", "yyyy/MM/dd", "yyyyMMdd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var registeredOn))
        {
            return ($"registered_on '{dateText}' is not a date (yyyy-MM-dd, yyyy/MM/dd or yyyyMMdd).", $"登録日 '{dateText}' は日付として読めません（yyyy-MM-dd、yyyy/MM/dd、yyyyMMdd のいずれか）。");
        }
        var name = index.TryGetValue("name", out var nameIndex) ? record.Fields[nameIndex].Trim() : string.Empty;
        if (name.Length > MaxNameLength || name.Any(char.IsControl))
        {
            return ($"name is longer than {MaxNameLength} characters or holds control characters.", $"氏名が {MaxNameLength} 文字を超えているか、改行などの制御文字を含んでいます。");
        }
        row = new RegistrationRow(card, service, member, status, registeredOn, name);
        return null;

        (string En, string Ja)? Identifier<T>(string column, string columnJa, Func<string, T> parse, out T value)
        {
            value = default!;
            try
            {
                value = parse(Field(column));
                return null;
            }
            catch (FormatException e)
            {
                return (e.Message, $"{columnJa} '{Field(column)}' が不正です（半角英数字と「-」のみ、空欄不可、長さの上限あり）。");
            }
        }
    }
}
