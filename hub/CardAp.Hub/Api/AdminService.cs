using CardAp.Hub.Security;
using Grpc.Core;

namespace CardAp.Hub.Api;

/// <summary>The admin API. Every RPC takes the caller from the certificate and passes <see cref="TenantScope"/>.</summary>
public sealed class AdminService(ICallerAccessor callers) : Admin.AdminBase
{
    public override Task<WhoAmIReply> WhoAmI(WhoAmIRequest request, ServerCallContext context)
    {
        var caller = callers.GetCaller(context);
        var reply = new WhoAmIReply
        {
            Kind = caller.Kind == CallerKind.Terminal ? "terminal" : "admin",
            Id = caller.Id,
            Role = caller.Role.ToWireName(),
        };
        reply.Municipalities.AddRange(caller.Municipalities.Select(m => m.Value));
        return Task.FromResult(reply);
    }
}
