using System.Text;
using CardAp.Hub.Import;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Tests.Import;

public class DifferentialImportTests
{
    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");

    private const string JapaneseFile =
        "市町村コード,カード番号,サービス,利用者番号,状態,登録日,氏名\r\n" +
        "131016,C-0001,library,L0001,利用中,2026/04/01,山田 太郎\r\n" +
        "131016,C-0001,points,P0001,利用中,2026/04/01,山田 太郎\r\n" +
        "131016,C-0002,library,L0002,停止,2026/05/10,\"佐藤, 花子\"\r\n";

    [Fact]
    public void A_cp932_file_with_japanese_headers_and_names_imports()
    {
        var result = RegistrationCsv.Read(CsvText.Cp932.GetBytes(JapaneseFile), Chiyoda);

        Assert.Equal("Shift_JIS (CP932)", result.EncodingName);
        Assert.Empty(result.BadRows);
        Assert.Equal(3, result.Rows.Count);
        Assert.Equal("山田 太郎", result.Rows[0].Name);
        Assert.Equal("佐藤, 花子", result.Rows[2].Name);
        Assert.Equal(RegistrationStatus.Stopped, result.Rows[2].Status);
        Assert.Equal(new DateOnly(2026, 5, 10), result.Rows[2].RegisteredOn);
    }

    [Fact]
    public void Utf8_with_and_without_bom_reads_the_same()
    {
        var plain = RegistrationCsv.Read(Encoding.UTF8.GetBytes(JapaneseFile), Chiyoda);
        var withBom = RegistrationCsv.Read([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(JapaneseFile)], Chiyoda);
        Assert.Equal("UTF-8", plain.EncodingName);
        Assert.Equal("UTF-8 (BOM)", withBom.EncodingName);
        Assert.Equal(plain.Rows, withBom.Rows);
    }

    [Fact]
    public void Bad_rows_are_named_by_line_and_good_rows_kept()
    {
        const string file =
            "municipality,card_number,service,member_number,status,registered_on,name\n" +
            "131016,C-0001,library,L0001,active,2026-04-01,\"Yamada, Taro\"\n" +
            "131016,C-0010,library,L0010,active,2026-04-01,\"two\nlines\"\n" + // a quoted line break: this record spans lines 3-4
            "131017,C-0002,library,L0002,active,2026-04-01,x\n" +
            "011002,C-0003,library,L0003,active,2026-04-01,x\n" +
            "131016,C-0004,library,L0004,maybe,2026-04-01,x\n" +
            "131016,C-0005,library,L0005,active,2026-13-01,x\n" +
            "131016,C 0006,library,L0006,active,2026-04-01,x\n" +
            "131016,C-0001,library,L0009,active,2026-04-01,x\n" +
            "131016,C-0007,library\n" +
            "131016,C-0008,library,L0008,active,2026-04-01,ok\n";

        var result = RegistrationCsv.Read(Encoding.UTF8.GetBytes(file), Chiyoda);

        Assert.Equal(["C-0001", "C-0008"], result.Rows.Select(r => r.Card.Value));
        Assert.Equal([3, 5, 6, 7, 8, 9, 10, 11], result.BadRows.Select(b => b.Line));
        Assert.Contains("control characters", result.BadRows[0].Problem, StringComparison.Ordinal);
        Assert.Contains("check digit", result.BadRows[1].Problem, StringComparison.Ordinal);
        Assert.Contains("not the one being imported", result.BadRows[2].Problem, StringComparison.Ordinal);
        Assert.Contains("status", result.BadRows[3].Problem, StringComparison.Ordinal);
        Assert.Contains("registered_on", result.BadRows[4].Problem, StringComparison.Ordinal);
        Assert.Contains("first on line 2", result.BadRows[6].Problem, StringComparison.Ordinal);
        Assert.Contains("3 fields", result.BadRows[7].Problem, StringComparison.Ordinal);
        Assert.All(result.BadRows, b => Assert.Matches(@"\p{IsCJKUnifiedIdeographs}|\p{IsHiragana}|\p{IsKatakana}", b.ProblemJa));
        Assert.Contains("登録日", result.BadRows[4].ProblemJa, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("municipality,card_number,service\n", "missing column")]
    [InlineData("municipality,card_number,service,member_number,status,registered_on,colour\n", "unknown column 'colour'")]
    [InlineData("municipality,card_number,service,member_number,status,registered_on\n131016,\"C-1,library,L1,active,2026-04-01\n", "never closed")]
    public void An_unusable_file_says_why(string file, string expected)
    {
        var e = Assert.Throws<FormatException>(() => RegistrationCsv.Read(Encoding.UTF8.GetBytes(file), Chiyoda));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_run_of_the_same_file_changes_nothing()
    {
        var file = RegistrationCsv.Read(CsvText.Cp932.GetBytes(JapaneseFile), Chiyoda);
        var first = ImportPlan.Create(file, current: []);
        Assert.Equal(3, first.Adds.Count);

        var afterApply = first.Adds.ToList(); // what the hub holds once the plan is applied
        var second = ImportPlan.Create(file, afterApply);
        Assert.True(second.IsEmpty);
        Assert.Equal(3, second.Unchanged);
    }

    [Fact]
    public void Changes_and_removals_are_planned_from_the_difference()
    {
        var current = RegistrationCsv.Read(CsvText.Cp932.GetBytes(JapaneseFile), Chiyoda).Rows;
        var edited = JapaneseFile
            .Replace("C-0002,library,L0002,停止", "C-0002,library,L0022,利用中", StringComparison.Ordinal)
            .Replace("131016,C-0001,points,P0001,利用中,2026/04/01,山田 太郎\r\n", string.Empty, StringComparison.Ordinal)
            + "131016,C-0003,shelter,S0003,利用中,2026/06/01,鈴木 一郎\r\n";

        var plan = ImportPlan.Create(RegistrationCsv.Read(CsvText.Cp932.GetBytes(edited), Chiyoda), current);

        Assert.Equal("C-0003", Assert.Single(plan.Adds).Card.Value);
        var (before, after) = Assert.Single(plan.Changes);
        Assert.Equal(("L0002", "L0022"), (before.Member.Value, after.Member.Value));
        Assert.Equal("points", Assert.Single(plan.Removals).Service.Value);
        Assert.Equal(1, plan.Unchanged);
    }

    [Fact]
    public void With_bad_rows_nothing_is_removed()
    {
        var current = RegistrationCsv.Read(CsvText.Cp932.GetBytes(JapaneseFile), Chiyoda).Rows;
        var broken = "市町村コード,カード番号,サービス,利用者番号,状態,登録日,氏名\r\n131016,C-0001,library,L0001,利用中,2026/04/0X,山田 太郎\r\n";
        var plan = ImportPlan.Create(RegistrationCsv.Read(CsvText.Cp932.GetBytes(broken), Chiyoda), current);
        Assert.Empty(plan.Removals);
        Assert.Equal(2, Assert.Single(plan.BadRows).Line);
    }
}
