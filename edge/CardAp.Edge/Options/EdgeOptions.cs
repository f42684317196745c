using System.ComponentModel.DataAnnotations;
using CardAp.Shared.Domain;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Options;

public enum ReaderBackend
{
    /// <summary>PC/SC: pcsc-lite on Linux, WinSCard on Windows.</summary>
    Pcsc,
    /// <summary>The in-process virtual reader (demo and development; no PC/SC needed).</summary>
    Virtual,
}

/// <summary>The edge host's settings (section "Edge"), validated at start-up.</summary>
public sealed class EdgeOptions
{
    public const string Section = "Edge";

    /// <summary>The municipality this terminal serves (6-digit code with check digit).</summary>
    [Required]
    public string Municipality { get; set; } = string.Empty;

    public ReaderBackend Readers { get; set; } = ReaderBackend.Pcsc;

    /// <summary>Names of the in-process virtual readers when <see cref="Readers"/> is Virtual.</summary>
    public int VirtualReaderCount { get; set; } = 2;

    /// <summary>A signed-in operator's session ends after this long without a call.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Graceful shutdown deadline (UPS): stop taking requests, finish in-flight work, checkpoint, exit.</summary>
    public TimeSpan ShutdownDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The whole terminal starts in training mode (研修): records flagged, excluded from counts.</summary>
    public bool Training { get; set; }

    /// <summary>Hub address for the reachability probe (gRPC health); empty means no hub: offline.</summary>
    public string? HubAddress { get; set; }

    public TimeSpan HubProbeInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The hub CA (PEM) this terminal trusts: the hub's server certificate must chain to it.</summary>
    public string? HubCaCertificatePath { get; set; }

    /// <summary>This terminal's client certificate and key (PEM) from its enrolment bundle: mutual TLS to the hub.</summary>
    public string? HubClientCertificatePath { get; set; }

    public string? HubClientKeyPath { get; set; }

    /// <summary>Master-data snapshot to import at start when the store holds no master data yet (site bring-up without network).</summary>
    public string? InitialMasterSnapshot { get; set; }
}

/// <summary>Start-up validation with messages an installer can act on.</summary>
public sealed class EdgeOptionsValidator : IValidateOptions<EdgeOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeOptions options)
    {
        var errors = new List<string>();
        if (!MunicipalityCode.TryParse(options.Municipality, out _, out var error))
        {
            errors.Add($"Edge:Municipality: {error}");
        }
        if (options.SessionIdleTimeout < TimeSpan.FromSeconds(10) || options.SessionIdleTimeout > TimeSpan.FromHours(12))
        {
            errors.Add($"Edge:SessionIdleTimeout must be between 00:00:10 and 12:00:00, got {options.SessionIdleTimeout}.");
        }
        if (options.ShutdownDeadline < TimeSpan.FromSeconds(1) || options.ShutdownDeadline > TimeSpan.FromMinutes(5))
        {
            errors.Add($"Edge:ShutdownDeadline must be between 00:00:01 and 00:05:00, got {options.ShutdownDeadline}.");
        }
        if (options.Readers == ReaderBackend.Virtual && options.VirtualReaderCount is < 1 or > 8)
        {
            errors.Add($"Edge:VirtualReaderCount must be 1 to 8, got {options.VirtualReaderCount}.");
        }
        if (!string.IsNullOrEmpty(options.HubAddress) && !Uri.TryCreate(options.HubAddress, UriKind.Absolute, out _))
        {
            errors.Add($"Edge:HubAddress '{options.HubAddress}' is not an absolute URI.");
        }
        if (options.HubAddress is { Length: > 0 } hub && hub.StartsWith("https:", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var (setting, path) in new[]
            {
                ("Edge:HubCaCertificatePath", options.HubCaCertificatePath),
                ("Edge:HubClientCertificatePath", options.HubClientCertificatePath),
                ("Edge:HubClientKeyPath", options.HubClientKeyPath),
            })
            {
                if (string.IsNullOrEmpty(path) || !File.Exists(path))
                {
                    errors.Add($"{setting} is required for the hub's mutual TLS and must name an existing PEM file, got '{path}'.");
                }
            }
        }
        if (options.InitialMasterSnapshot is { Length: > 0 } snapshot && !File.Exists(snapshot))
        {
            errors.Add($"Edge:InitialMasterSnapshot '{snapshot}' does not exist.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
