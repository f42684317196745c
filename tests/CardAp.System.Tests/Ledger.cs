namespace CardAp.SystemTests;

/// <summary>A transaction a terminal acknowledged to the test: what the hub must hold exactly once.</summary>
/// <param name="Offline">Whether the terminal was cut off from the hub when it recorded it, as the test arranged.</param>
internal sealed record ExpectedTransaction(string Terminal, string RequestId, string Service, string Operation, string CardRef, string? Member, bool Offline);

/// <summary>An operation a terminal refused: the hub must count it once, with this reason.</summary>
internal sealed record ExpectedRefusal(string Terminal, string Service, string Operation, string Reason, bool Offline);

/// <summary>The test's own account of the day: every answer the terminals gave, to hold the hub to.</summary>
internal sealed class Ledger
{
    private readonly List<ExpectedTransaction> _transactions = [];
    private readonly List<ExpectedRefusal> _refusals = [];

    public void Done(ExpectedTransaction transaction)
    {
        lock (_transactions)
        {
            Assert.DoesNotContain(_transactions, t => t.Terminal == transaction.Terminal && t.RequestId == transaction.RequestId);
            _transactions.Add(transaction);
        }
    }

    public void Refused(ExpectedRefusal refusal)
    {
        lock (_refusals)
        {
            _refusals.Add(refusal);
        }
    }

    public IReadOnlyList<ExpectedTransaction> Transactions(string terminal)
    {
        lock (_transactions)
        {
            return [.. _transactions.Where(t => t.Terminal == terminal)];
        }
    }

    public IReadOnlyList<ExpectedRefusal> Refusals(string terminal)
    {
        lock (_refusals)
        {
            return [.. _refusals.Where(r => r.Terminal == terminal)];
        }
    }
}
