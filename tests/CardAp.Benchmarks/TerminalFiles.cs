using CardAp.Hub.Security;
using CardAp.Hub.Tests.Host;

namespace CardAp.Benchmarks;

/// <summary>A terminal's enrolment as the edge reads it: the hub CA, its own certificate and key, as PEM files.</summary>
internal sealed record TerminalFiles(string Ca, string Certificate, string Key)
{
    public static TerminalFiles Write(HubPki pki, string directory, string terminal)
    {
        Directory.CreateDirectory(directory);
        using var certificate = pki.Ca.IssueTerminalCertificate(terminal);
        var files = new TerminalFiles(pki.CaCertificatePath, Path.Combine(directory, "terminal.pem"), Path.Combine(directory, "terminal.key"));
        CertificatePem.Write(certificate, files.Certificate, files.Key);
        return files;
    }
}
