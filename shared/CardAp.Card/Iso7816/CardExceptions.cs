namespace CardAp.Card.Iso7816;

/// <summary>Base of every error the card layer raises, so callers can catch the layer as a whole.</summary>
public class CardException : Exception
{
    public CardException(string message) : base(message)
    {
    }

    public CardException(string message, Exception? inner) : base(message, inner)
    {
    }
}

/// <summary>The card (or something pretending to be one) answered with bytes that break ISO 7816-4 or our format.</summary>
public class CardProtocolException : CardException
{
    public CardProtocolException(string message) : base(message)
    {
    }

    public CardProtocolException(string message, Exception? inner) : base(message, inner)
    {
    }
}

/// <summary>A well-formed response whose status word says the operation failed.</summary>
public class CardStatusException(string operation, StatusWord status)
    : CardException($"{operation} failed: card answered {status}.")
{
    public string Operation { get; } = operation;
    public StatusWord Status { get; } = status;
}
