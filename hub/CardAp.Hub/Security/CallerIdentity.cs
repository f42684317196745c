using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using CardAp.Shared.Domain;

namespace CardAp.Hub.Security;

/// <summary>What kind of caller a certificate names.</summary>
public enum CallerKind
{
    Terminal,
    Admin,
}

/// <summary>What the caller may do; its wire name is in <see cref="CallerRoles"/>.</summary>
public enum CallerRole
{
    /// <summary>A terminal: acts for its own municipality only.</summary>
    Terminal,
    /// <summary>An administrator of exactly one municipality.</summary>
    MunicipalityAdmin,
    /// <summary>Central IT (共同利用): acts for the municipalities listed in its certificate.</summary>
    CentralIt,
}

/// <summary>Wire names of the roles, as they appear in certificates and replies.</summary>
public static class CallerRoles
{
    public const string Terminal = "terminal";
    public const string MunicipalityAdmin = "municipality-admin";
    public const string CentralIt = "central-it";

    public static string ToWireName(this CallerRole role) => role switch
    {
        CallerRole.Terminal => Terminal,
        CallerRole.MunicipalityAdmin => MunicipalityAdmin,
        CallerRole.CentralIt => CentralIt,
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown caller role."),
    };

    /// <summary>Only the administrator roles parse; anything else is refused.</summary>
    public static bool TryParseAdminRole(string? text, out CallerRole role)
    {
        switch (text)
        {
            case MunicipalityAdmin:
                role = CallerRole.MunicipalityAdmin;
                return true;
            case CentralIt:
                role = CallerRole.CentralIt;
                return true;
            default:
                role = default;
                return false;
        }
    }
}

/// <summary>
/// Who is calling the hub, as named by the client certificate's SAN URI (ADR 0007):
/// <c>urn:cardap:terminal:131016-T001</c> or
/// <c>urn:cardap:admin:tanaka?role=central-it&amp;municipalities=131016,011002</c>.
/// Built only through the factories, which validate strictly; every query is scoped by it.
/// </summary>
public sealed record CallerIdentity
{
    public const string UriPrefix = "urn:cardap:";
    public const string TerminalUriPrefix = UriPrefix + "terminal:";
    public const string AdminUriPrefix = UriPrefix + "admin:";

    /// <summary>Longest terminal or administrator id.</summary>
    public const int MaxIdLength = 32;

    /// <summary>Most municipalities one administrator certificate may name.</summary>
    public const int MaxMunicipalities = 64;

    private CallerIdentity(CallerKind kind, string id, CallerRole role, IReadOnlyList<MunicipalityCode> municipalities)
    {
        Kind = kind;
        Id = id;
        Role = role;
        Municipalities = municipalities;
    }

    public CallerKind Kind { get; }

    /// <summary>Terminal id ("131016-T001") or administrator id.</summary>
    public string Id { get; }

    public CallerRole Role { get; }

    /// <summary>The municipalities the caller may act for: a terminal's own, an administrator's listed ones (sorted, distinct).</summary>
    public IReadOnlyList<MunicipalityCode> Municipalities { get; }

    /// <summary>True when the caller may act for <paramref name="municipality"/>.</summary>
    public bool MayActFor(MunicipalityCode municipality) => Municipalities.Contains(municipality);

    /// <summary>A terminal; its id starts with its municipality's code: "131016-T001".</summary>
    /// <exception cref="FormatException">The id is not a valid terminal id.</exception>
    public static CallerIdentity Terminal(string terminalId)
    {
        ValidateId(terminalId, "A terminal id");
        var dash = terminalId.IndexOf('-', StringComparison.Ordinal);
        if (dash != 6 || terminalId.Length == 7)
        {
            throw new FormatException($"A terminal id is the 6-digit municipality code, '-' and the terminal's own name (e.g. 131016-T001), got '{terminalId}'.");
        }
        if (!MunicipalityCode.TryParse(terminalId[..6], out var municipality, out var error))
        {
            throw new FormatException($"Terminal id '{terminalId}': {error}");
        }
        return new CallerIdentity(CallerKind.Terminal, terminalId, CallerRole.Terminal, [municipality]);
    }

    /// <summary>An administrator; a municipality administrator names exactly one municipality, central IT one or more.</summary>
    /// <exception cref="FormatException">The id, role or municipalities are not valid.</exception>
    public static CallerIdentity Admin(string adminId, CallerRole role, IEnumerable<MunicipalityCode> municipalities)
    {
        ValidateId(adminId, "An administrator id");
        if (role is not (CallerRole.MunicipalityAdmin or CallerRole.CentralIt))
        {
            throw new FormatException($"Administrator '{adminId}': the role must be {CallerRoles.MunicipalityAdmin} or {CallerRoles.CentralIt}, got {role}.");
        }
        var list = municipalities.ToList();
        if (list.Any(m => m == default))
        {
            throw new FormatException($"Administrator '{adminId}': an uninitialised municipality code.");
        }
        if (list.Count == 0)
        {
            throw new FormatException($"Administrator '{adminId}' names no municipality.");
        }
        if (list.Count > MaxMunicipalities)
        {
            throw new FormatException($"Administrator '{adminId}' names {list.Count} municipalities; at most {MaxMunicipalities}.");
        }
        if (list.Distinct().Count() != list.Count)
        {
            throw new FormatException($"Administrator '{adminId}' names a municipality twice.");
        }
        if (role == CallerRole.MunicipalityAdmin && list.Count != 1)
        {
            throw new FormatException($"Administrator '{adminId}': a {CallerRoles.MunicipalityAdmin} acts for exactly one municipality, got {list.Count}; central IT uses {CallerRoles.CentralIt}.");
        }
        var sorted = list.OrderBy(m => m.Value, StringComparer.Ordinal).ToArray();
        return new CallerIdentity(CallerKind.Admin, adminId, role, sorted);
    }

    /// <summary>The SAN URI that carries this identity in a certificate.</summary>
    public Uri ToUri() => new(ToUriString(), UriKind.Absolute);

    public string ToUriString() => Kind == CallerKind.Terminal
        ? TerminalUriPrefix + Id
        : $"{AdminUriPrefix}{Id}?role={Role.ToWireName()}&municipalities={string.Join(',', Municipalities.Select(m => m.Value))}";

    /// <summary>Parses a SAN URI strictly: unknown kinds, roles, parameters or malformed values are refused.</summary>
    /// <exception cref="FormatException">The URI does not name a valid caller.</exception>
    public static CallerIdentity FromUri(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (uri.StartsWith(TerminalUriPrefix, StringComparison.Ordinal))
        {
            return Terminal(uri[TerminalUriPrefix.Length..]);
        }
        if (!uri.StartsWith(AdminUriPrefix, StringComparison.Ordinal))
        {
            throw new FormatException($"'{uri}' is neither a terminal ({TerminalUriPrefix}...) nor an administrator ({AdminUriPrefix}...) identity.");
        }
        var rest = uri[AdminUriPrefix.Length..];
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        if (question < 0)
        {
            throw new FormatException($"Administrator identity '{uri}' has no role and municipalities (?role=...&municipalities=...).");
        }
        var id = rest[..question];
        string? roleText = null;
        string? municipalitiesText = null;
        foreach (var pair in rest[(question + 1)..].Split('&'))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? null : pair[(equals + 1)..];
            switch (key)
            {
                case "role" when roleText is null && value is not null:
                    roleText = value;
                    break;
                case "municipalities" when municipalitiesText is null && value is not null:
                    municipalitiesText = value;
                    break;
                default:
                    throw new FormatException($"Administrator identity '{uri}': unexpected, repeated or empty parameter '{key}'.");
            }
        }
        if (!CallerRoles.TryParseAdminRole(roleText, out var role))
        {
            throw new FormatException($"Administrator identity '{uri}': unknown role '{roleText}'; expected {CallerRoles.MunicipalityAdmin} or {CallerRoles.CentralIt}.");
        }
        if (string.IsNullOrEmpty(municipalitiesText))
        {
            throw new FormatException($"Administrator identity '{uri}' names no municipality.");
        }
        var codes = new List<MunicipalityCode>();
        foreach (var text in municipalitiesText.Split(','))
        {
            if (!MunicipalityCode.TryParse(text, out var code, out var error))
            {
                throw new FormatException($"Administrator identity '{uri}': {error}");
            }
            codes.Add(code);
        }
        return Admin(id, role, codes);
    }

    /// <summary>
    /// The identity a client certificate names: exactly one <c>urn:cardap:</c> URI in its subject
    /// alternative name, valid by <see cref="FromUri"/>. Chain trust is the TLS layer's job.
    /// </summary>
    /// <exception cref="FormatException">No, several, or a malformed identity.</exception>
    public static CallerIdentity FromCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var uris = SubjectAlternativeUris(certificate)
            .Where(u => u.StartsWith(UriPrefix, StringComparison.OrdinalIgnoreCase))
            .ToList();
        return uris.Count switch
        {
            0 => throw new FormatException($"Certificate '{certificate.Subject}' names no CardAp identity (no {UriPrefix} URI in its subject alternative name)."),
            1 => FromUri(uris[0]),
            _ => throw new FormatException($"Certificate '{certificate.Subject}' names {uris.Count} CardAp identities; exactly one is allowed."),
        };
    }

    /// <summary>The uniformResourceIdentifier entries of the certificate's subject alternative name.</summary>
    public static IReadOnlyList<string> SubjectAlternativeUris(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var extensions = certificate.Extensions.Where(e => e.Oid?.Value == "2.5.29.17").ToList();
        if (extensions.Count > 1)
        {
            throw new FormatException($"Certificate '{certificate.Subject}' has {extensions.Count} subject alternative name extensions.");
        }
        if (extensions.Count == 0)
        {
            return [];
        }
        var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
        var result = new List<string>();
        try
        {
            var reader = new AsnReader(extensions[0].RawData, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (names.HasData)
            {
                if (names.PeekTag() == uriTag)
                {
                    result.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException e)
        {
            throw new FormatException($"Certificate '{certificate.Subject}' has a malformed subject alternative name: {e.Message}", e);
        }
        return result;
    }

    private static void ValidateId(string? id, string what)
    {
        if (string.IsNullOrEmpty(id))
        {
            throw new FormatException($"{what} must not be empty.");
        }
        if (id.Length > MaxIdLength)
        {
            throw new FormatException($"{what} '{id}' is longer than {MaxIdLength} characters.");
        }
        if (!id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '.' || c == '_'))
        {
            throw new FormatException($"{what} '{id}' may hold only ASCII letters, digits, '-', '.' and '_'.");
        }
    }

    /// <summary>Two identities are equal when they name the same caller with the same rights.</summary>
    public bool Equals(CallerIdentity? other) => other is not null && string.Equals(ToUriString(), other.ToUriString(), StringComparison.Ordinal);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToUriString());

    public override string ToString() => ToUriString();
}
