using Grpc.Core;

namespace CardAp.Edge.Errors;

/// <summary>
/// Why the terminal said no, in words for the clerk or resident (English and Japanese), with the
/// gRPC status that fits and, for bad requests, the field at fault. Thrown anywhere in request
/// handling; the error interceptor turns it into an RpcException with trailers.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710", Justification = "A refusal is a business outcome, not a fault; throw sites read as sentences: throw EdgeRefusal.Rule(...).")]
public sealed class EdgeRefusal(StatusCode code, string reason, string messageEn, string messageJa, string? field = null)
    : Exception(messageEn)
{
    public StatusCode Code { get; } = code;

    /// <summary>Machine-readable reason, e.g. "PinWrong", "OutsideHours", "LoanLimitReached".</summary>
    public string Reason { get; } = reason;

    public string MessageEn { get; } = messageEn;

    public string MessageJa { get; } = messageJa;

    public string? Field { get; } = field;

    public static EdgeRefusal InvalidField(string field, string problemEn, string problemJa) =>
        new(StatusCode.InvalidArgument, "InvalidArgument", $"{field}: {problemEn}", $"{field}: {problemJa}", field);

    /// <summary>A business rule refused the operation (limit reached, not registered, ...).</summary>
    public static EdgeRefusal Rule(string reason, string messageEn, string messageJa) =>
        new(StatusCode.FailedPrecondition, reason, messageEn, messageJa);
}
