using CardAp.Card.Iso7816;
using CardAp.Card.Tlv;
using CardAp.Shared.Domain;
using static CardAp.Card.Application.CardApSpec;

namespace CardAp.Card.Application;

public enum CardKind : byte
{
    Resident = 1,
    Operator = 2,
}

/// <summary>An operator card's record: who the staff member is and the role that grants operations.</summary>
public sealed record OperatorRecord(OperatorId Id, OperatorRole Role);

/// <summary>The header EF of the CardAp application (docs/card-application.md).</summary>
public sealed record CardHeader(
    MunicipalityCode Municipality,
    CardNumber CardNumber,
    DateOnly IssuedOn,
    DateOnly ExpiresOn,
    CardKind Kind = CardKind.Resident,
    OperatorRecord? Operator = null)
{
    public byte[] Encode()
    {
        if ((Kind == CardKind.Operator) != (Operator is not null))
        {
            throw new InvalidOperationException("An operator card needs an operator record, and only an operator card may carry one.");
        }
        return new TlvWriter().WriteConstructed(Tags.Header, w =>
        {
            w.Write(Tags.Version, FormatVersion)
             .Write(Tags.Municipality, Municipality.Value)
             .Write(Tags.CardNumber, CardNumber.Value)
             .Write(Tags.IssuedOn, CardDates.Format(IssuedOn))
             .Write(Tags.ExpiresOn, CardDates.Format(ExpiresOn))
             .Write(Tags.Kind, (byte)Kind);
            if (Operator is not null)
            {
                w.Write(Tags.OperatorId, Operator.Id.Value).Write(Tags.OperatorRole, Operator.Role.Value);
            }
        }).ToArray();
    }

    /// <summary>Decodes the header EF. Anything malformed is a <see cref="CardProtocolException"/>.</summary>
    public static CardHeader Decode(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            throw new CardProtocolException("The card's header EF is empty: the card application was never issued.");
        }
        var fields = BerTlv.ParseSingle(bytes, Tags.Header).Children();
        var version = fields.Require(Tags.Version, "Header format version").Value.Span;
        if (version.Length != 1 || version[0] != FormatVersion)
        {
            throw new CardProtocolException($"Header format version {Convert.ToHexString(version)} is not supported (expected {FormatVersion}).");
        }
        var kindByte = fields.Require(Tags.Kind, "Card kind").Value.Span;
        if (kindByte.Length != 1 || !Enum.IsDefined((CardKind)kindByte[0]))
        {
            throw new CardProtocolException($"Card kind {Convert.ToHexString(kindByte)} is unknown.");
        }
        var kind = (CardKind)kindByte[0];
        OperatorRecord? op = null;
        if (kind == CardKind.Operator)
        {
            op = new OperatorRecord(
                Ascii(() => OperatorId.Parse(fields.Require(Tags.OperatorId, "Operator id").ValueAsAscii())),
                Ascii(() => OperatorRole.Parse(fields.Require(Tags.OperatorRole, "Operator role").ValueAsAscii())));
        }
        var municipalityText = fields.Require(Tags.Municipality, "Municipality code").ValueAsAscii();
        if (!MunicipalityCode.TryParse(municipalityText, out var municipality, out var error))
        {
            throw new CardProtocolException("The card's header holds a bad municipality code: " + error);
        }
        return new CardHeader(
            municipality,
            Ascii(() => CardNumber.Parse(fields.Require(Tags.CardNumber, "Card number").ValueAsAscii())),
            CardDates.Parse(fields.Require(Tags.IssuedOn, "Issue date").Value.Span, "Issue date"),
            CardDates.Parse(fields.Require(Tags.ExpiresOn, "Expiry date").Value.Span, "Expiry date"),
            kind,
            op);
    }

    // Identifier parsers throw FormatException; on a card that is a protocol fault.
    internal static T Ascii<T>(Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (FormatException e)
        {
            throw new CardProtocolException("The card holds a malformed field: " + e.Message, e);
        }
    }
}
