using CardAp.Hub.Errors;
using Grpc.Core;

namespace CardAp.Hub.Validation;

/// <summary>One thing wrong with a master data row: the field (a JSON path such as "settings.loanLimit") and why, in English and Japanese.</summary>
public sealed record MasterProblem(string Field, string MessageEn, string MessageJa)
{
    public override string ToString() => $"{Field}: {MessageEn}";
}

/// <summary>Turns the problems of a row into the refusal an administrator sees.</summary>
public static class MasterProblems
{
    public const string Reason = "InvalidMasterData";

    /// <summary>How many problems the refusal spells out; trailers are headers, and the first few are what an administrator fixes first.</summary>
    public const int MaxListed = 10;

    /// <summary>INVALID_ARGUMENT naming the row and every listed problem's field, in English and Japanese.</summary>
    public static RpcException Refusal(string kind, string key, IReadOnlyList<MasterProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var listed = problems.Take(MaxListed).ToList();
        var more = problems.Count - listed.Count;
        var en = $"Master data {kind}/{key} was not stored: {string.Join("; ", listed.Select(p => $"{p.Field}: {p.MessageEn}"))}"
            + (more > 0 ? $"; and {more} more problems." : string.Empty);
        var ja = $"マスタデータ {kind}/{key} は登録されませんでした。{string.Join(" ", listed.Select(p => $"{p.Field}: {p.MessageJa}"))}"
            + (more > 0 ? $" ほかに {more} 件の誤りがあります。" : string.Empty);
        return HubRefusal.Create(StatusCode.InvalidArgument, Reason, en, ja);
    }
}
