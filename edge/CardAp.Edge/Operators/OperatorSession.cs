namespace CardAp.Edge.Operators;

/// <summary>A signed-in operator at this terminal: bound to the reader holding the operator card.</summary>
public sealed class OperatorSession(string token, string operatorId, string role, string reader, DateTimeOffset signedInAt)
{
    public string Token { get; } = token;
    public string OperatorId { get; } = operatorId;
    public string Role { get; } = role;
    public string Reader { get; } = reader;
    public DateTimeOffset SignedInAt { get; } = signedInAt;
    public DateTimeOffset LastUsed { get; set; } = signedInAt;
    public bool Training { get; set; }
}
