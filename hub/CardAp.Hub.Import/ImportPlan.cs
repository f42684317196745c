namespace CardAp.Hub.Import;

/// <summary>
/// What a differential import (差分登録) would do: the file is the resident system's full current
/// export, so rows it has that the hub lacks are added, rows that differ are changed, and
/// registrations the hub has that the file lacks are removed. Applying the plan and planning the
/// same file again gives an empty plan.
/// </summary>
public sealed record ImportPlan(
    IReadOnlyList<RegistrationRow> Adds,
    IReadOnlyList<(RegistrationRow Before, RegistrationRow After)> Changes,
    IReadOnlyList<RegistrationRow> Removals,
    IReadOnlyList<BadRow> BadRows,
    int Unchanged)
{
    public bool IsEmpty => Adds.Count == 0 && Changes.Count == 0 && Removals.Count == 0;

    /// <summary>
    /// Compares the file's rows with the hub's current registrations. With bad rows present,
    /// nothing is removed: a typo must not erase a resident's service. Fix the rows and run again.
    /// </summary>
    public static ImportPlan Create(RegistrationCsv.Result file, IReadOnlyCollection<RegistrationRow> current)
    {
        var currentByKey = current.ToDictionary(r => r.Key);
        var fileKeys = new HashSet<(Shared.Domain.CardNumber, Shared.Domain.ServiceId)>();
        var adds = new List<RegistrationRow>();
        var changes = new List<(RegistrationRow, RegistrationRow)>();
        var unchanged = 0;
        foreach (var row in file.Rows)
        {
            fileKeys.Add(row.Key);
            if (!currentByKey.TryGetValue(row.Key, out var before))
            {
                adds.Add(row);
            }
            else if (before != row)
            {
                changes.Add((before, row));
            }
            else
            {
                unchanged++;
            }
        }
        var removals = file.BadRows.Count > 0
            ? []
            : current.Where(r => !fileKeys.Contains(r.Key)).OrderBy(r => r.Card.Value, StringComparer.Ordinal).ThenBy(r => r.Service.Value, StringComparer.Ordinal).ToList();
        return new ImportPlan(adds, changes, removals, file.BadRows, unchanged);
    }
}
