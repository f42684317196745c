using CardAp.Card.Iso7816;
using CardAp.Card.Tlv;
using CardAp.Shared.Domain;
using static CardAp.Card.Application.CardApSpec;

namespace CardAp.Card.Application;

public enum ServiceStatus : byte
{
    Active = 1,
    /// <summary>利用停止: the registration stays on the card but the service is not to be used.</summary>
    Stopped = 2,
}

/// <summary>One entry of the services EF: the resident's member number in one service.</summary>
public sealed record ServiceRegistration(ServiceId Service, MemberNumber Member, ServiceStatus Status, DateOnly RegisteredOn)
{
    public const int MaxServices = 16;

    public static byte[] EncodeAll(IReadOnlyCollection<ServiceRegistration> services)
    {
        if (services.Count > MaxServices)
        {
            throw new InvalidOperationException($"A card holds at most {MaxServices} service registrations.");
        }
        if (services.GroupBy(s => s.Service).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new InvalidOperationException($"Service '{duplicate.Key}' is registered twice.");
        }
        return new TlvWriter().WriteConstructed(Tags.Services, w =>
        {
            foreach (var s in services)
            {
                w.WriteConstructed(Tags.Service, e => e
                    .Write(Tags.ServiceId, s.Service.Value)
                    .Write(Tags.MemberNumber, s.Member.Value)
                    .Write(Tags.ServiceStatus, (byte)s.Status)
                    .Write(Tags.RegisteredOn, CardDates.Format(s.RegisteredOn)));
            }
        }).ToArray();
    }

    /// <summary>Decodes the services EF; an empty EF means no registrations.</summary>
    public static IReadOnlyList<ServiceRegistration> DecodeAll(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return [];
        }
        var entries = BerTlv.ParseSingle(bytes, Tags.Services).Children();
        if (entries.Count > MaxServices)
        {
            throw new CardProtocolException($"The services EF holds {entries.Count} entries; at most {MaxServices} are allowed.");
        }
        var result = new List<ServiceRegistration>(entries.Count);
        foreach (var entry in entries)
        {
            if (entry.Tag != Tags.Service)
            {
                throw new CardProtocolException($"Unexpected tag {entry.Tag:X} in the services EF.");
            }
            var f = entry.Children();
            var status = f.Require(Tags.ServiceStatus, "Service status").Value.Span;
            if (status.Length != 1 || !Enum.IsDefined((ServiceStatus)status[0]))
            {
                throw new CardProtocolException($"Service status {Convert.ToHexString(status)} is unknown.");
            }
            result.Add(new ServiceRegistration(
                CardHeader.Ascii(() => ServiceId.Parse(f.Require(Tags.ServiceId, "Service id").ValueAsAscii())),
                CardHeader.Ascii(() => MemberNumber.Parse(f.Require(Tags.MemberNumber, "Member number").ValueAsAscii())),
                (ServiceStatus)status[0],
                CardDates.Parse(f.Require(Tags.RegisteredOn, "Registration date").Value.Span, "Registration date")));
        }
        if (result.GroupBy(s => s.Service).Any(g => g.Count() > 1))
        {
            throw new CardProtocolException("The services EF lists a service twice.");
        }
        return result;
    }
}
