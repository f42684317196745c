using CardAp.Hub.Errors;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Security;

/// <summary>
/// The one gate every hub RPC passes before it touches a municipality's data (ADR 0007): the
/// caller must be allowed to act for that municipality. A refusal says nothing about the
/// other municipality's data, only that the caller may not act for it.
/// </summary>
public static class TenantScope
{
    public const string OtherMunicipalityReason = "OtherMunicipality";
    public const string NotAnAdministratorReason = "NotAnAdministrator";

    /// <summary>Returns <paramref name="municipality"/> when the caller may act for it; PERMISSION_DENIED otherwise.</summary>
    /// <exception cref="Grpc.Core.RpcException">PERMISSION_DENIED with the cardap-* trailers.</exception>
    public static MunicipalityCode Require(CallerIdentity caller, MunicipalityCode municipality)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (municipality == default || !caller.MayActFor(municipality))
        {
            throw HubRefusal.PermissionDenied(
                OtherMunicipalityReason,
                $"{Describe(caller)} may not act for municipality {municipality}.",
                $"{DescribeJa(caller)}は団体コード{municipality}の操作を許可されていません。");
        }
        return municipality;
    }

    /// <summary>As <see cref="Require(CallerIdentity, MunicipalityCode)"/> for a code from a request; a malformed code is refused the same way.</summary>
    public static MunicipalityCode Require(CallerIdentity caller, string? municipality)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!MunicipalityCode.TryParse(municipality, out var code))
        {
            throw HubRefusal.Create(
                Grpc.Core.StatusCode.InvalidArgument,
                "InvalidArgument",
                $"municipality: '{municipality}' is not a 6-digit municipality code with a valid check digit.",
                $"municipality: '{municipality}' は正しい団体コード(6桁、検査数字付き)ではありません。");
        }
        return Require(caller, code);
    }

    /// <summary>Admin-only RPCs: a terminal certificate is refused with PERMISSION_DENIED.</summary>
    /// <exception cref="Grpc.Core.RpcException">PERMISSION_DENIED with the cardap-* trailers.</exception>
    public static CallerIdentity RequireAdmin(CallerIdentity caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Kind != CallerKind.Admin)
        {
            throw HubRefusal.PermissionDenied(
                NotAnAdministratorReason,
                $"{Describe(caller)} is not an administrator.",
                $"{DescribeJa(caller)}は管理者ではありません。");
        }
        return caller;
    }

    private static string Describe(CallerIdentity caller) =>
        caller.Kind == CallerKind.Terminal ? $"Terminal {caller.Id}" : $"Administrator {caller.Id} ({caller.Role.ToWireName()})";

    private static string DescribeJa(CallerIdentity caller) =>
        caller.Kind == CallerKind.Terminal ? $"端末{caller.Id}" : $"管理者{caller.Id}({caller.Role.ToWireName()})";
}
