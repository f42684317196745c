using System.Text;
using CardAp.Hub.Errors;
using CardAp.Hub.Security;
using CardAp.Shared.Domain;
using Grpc.Core;

namespace CardAp.Hub.Tests.Security;

public class TenantScopeTests
{
    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");
    private static readonly MunicipalityCode Sapporo = MunicipalityCode.Parse("011002");
    private static readonly MunicipalityCode Yokohama = MunicipalityCode.Parse("141003");

    [Fact]
    public void A_terminal_acts_for_its_own_municipality_only()
    {
        var terminal = CallerIdentity.Terminal("131016-T001");
        Assert.Equal(Chiyoda, TenantScope.Require(terminal, Chiyoda));
        var e = Assert.Throws<RpcException>(() => TenantScope.Require(terminal, Sapporo));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Equal(TenantScope.OtherMunicipalityReason, e.Trailers.GetValue(HubRefusal.ReasonTrailer));
        Assert.Contains("011002", e.Trailers.GetValue(HubRefusal.MessageEnTrailer), StringComparison.Ordinal);
        var japanese = Encoding.UTF8.GetString(e.Trailers.GetValueBytes(HubRefusal.MessageJaTrailer)!);
        Assert.Contains("許可されていません", japanese, StringComparison.Ordinal);
    }

    [Fact]
    public void A_municipality_admin_acts_for_that_municipality_only()
    {
        var admin = CallerIdentity.Admin("suzuki", CallerRole.MunicipalityAdmin, [Sapporo]);
        Assert.Equal(Sapporo, TenantScope.Require(admin, Sapporo));
        Assert.Equal(StatusCode.PermissionDenied, Assert.Throws<RpcException>(() => TenantScope.Require(admin, Chiyoda)).StatusCode);
    }

    [Fact]
    public void Central_it_acts_for_its_listed_municipalities_and_no_others()
    {
        var admin = CallerIdentity.Admin("it-sato", CallerRole.CentralIt, [Chiyoda, Sapporo]);
        Assert.Equal(Chiyoda, TenantScope.Require(admin, Chiyoda));
        Assert.Equal(Sapporo, TenantScope.Require(admin, "011002"));
        Assert.Equal(StatusCode.PermissionDenied, Assert.Throws<RpcException>(() => TenantScope.Require(admin, Yokohama)).StatusCode);
    }

    [Fact]
    public void A_malformed_or_missing_municipality_is_refused()
    {
        var admin = CallerIdentity.Admin("it-sato", CallerRole.CentralIt, [Chiyoda]);
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<RpcException>(() => TenantScope.Require(admin, "131017")).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<RpcException>(() => TenantScope.Require(admin, (string?)null)).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, Assert.Throws<RpcException>(() => TenantScope.Require(admin, default(MunicipalityCode))).StatusCode);
    }

    [Fact]
    public void Terminals_are_not_administrators()
    {
        var e = Assert.Throws<RpcException>(() => TenantScope.RequireAdmin(CallerIdentity.Terminal("131016-T001")));
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        Assert.Equal(TenantScope.NotAnAdministratorReason, e.Trailers.GetValue(HubRefusal.ReasonTrailer));
        var admin = CallerIdentity.Admin("suzuki", CallerRole.MunicipalityAdmin, [Sapporo]);
        Assert.Same(admin, TenantScope.RequireAdmin(admin));
    }

    [Fact]
    public void A_missing_or_anonymous_client_certificate_is_unauthenticated()
    {
        var e = Assert.Throws<RpcException>(() => CallerContextExtensions.FromClientCertificate(null));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        using var ca = HubCertificateAuthority.Create();
        using var anonymous = TestCertificates.SignedBy(ca.Certificate);
        e = Assert.Throws<RpcException>(() => CallerContextExtensions.FromClientCertificate(anonymous));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Equal(CallerContextExtensions.InvalidIdentityReason, e.Trailers.GetValue(HubRefusal.ReasonTrailer));
    }
}
