using System.Diagnostics;
using CardAp.Card.Application;
using CardAp.Card.Issuing;
using CardAp.Card.Readers;
using CardAp.Card.Verification;
using CardAp.Shared.Domain;
using CardAp.VirtualCard.Applets;
using CardAp.VirtualCard.InProcess;
using CardAp.VirtualCard.Issuance;
using CardAp.VirtualCard.Jpki;

namespace CardAp.VirtualCard.Cli;

/// <summary>
/// <c>cardap-vcard demo</c>, the main job on embedded defaults until the edge host exists: a
/// municipality issues a resident card and an operator card through the issuer's APDUs, then a
/// terminal with the in-process virtual reader identifies cards offline and refuses bad ones.
/// The cards are saved so they can be put on a vpcd slot with <c>cardap-vcard run</c>.
/// </summary>
internal static class DemoCommand
{
    private static readonly MunicipalityCode Chiyoda = MunicipalityCode.Parse("131016");
    private static readonly ServiceId LibraryService = ServiceId.Parse("library");

    public static async Task<int> RunAsync(DirectoryInfo outputDirectory, TextWriter output, CancellationToken cancellationToken)
    {
        outputDirectory.Create();
        var today = CardDates.TodayInJapan(TimeProvider.System);

        output.WriteLine($"CardAp demo: municipality {Chiyoda} (千代田区), in-process virtual reader, offline.");
        output.WriteLine();
        output.WriteLine("Central IT (provisioning side)");
        using var issuingKey = IssuingKey.Create(new IssuerReference(Chiyoda, 1));
        output.WriteLine($"  issuing key {issuingKey.Reference} created; its public half is the edge's master data");
        using var jpkiCa = new JpkiTestAuthority();
        var jpki = jpkiCa.IssueCard(authenticationPin: "5678");

        var residentHeader = new CardHeader(Chiyoda, CardNumber.Parse("C-000001"), today, today.AddYears(5).AddDays(-1));
        var resident = VirtualCards.Issue(issuingKey, residentHeader, "1234",
            [new(LibraryService, MemberNumber.Parse("L-0001"), ServiceStatus.Active, today),
             new(ServiceId.Parse("shelter"), MemberNumber.Parse("S-0001"), ServiceStatus.Active, today)],
            jpki.Applet);
        output.WriteLine($"  resident card {residentHeader.CardNumber} issued: library L-0001, shelter S-0001, PIN set; JPKI certificate {jpki.SerialNumber}");
        var operatorHeader = new CardHeader(Chiyoda, CardNumber.Parse("OP-0001"), today, today.AddYears(1),
            CardKind.Operator, new OperatorRecord(OperatorId.Parse("staff-001"), OperatorRole.Parse("librarian")));
        var operatorCard = VirtualCards.Issue(issuingKey, operatorHeader, "2468");
        output.WriteLine($"  operator card {operatorHeader.CardNumber} issued: staff-001, role librarian");
        var suspended = VirtualCards.Issue(issuingKey, residentHeader with { CardNumber = CardNumber.Parse("C-000002") }, "1234");
        var clone = new VirtualSmartCard(resident.GetApplet<CardApApplet>().CopyReadableContent("1234"));
        using var impostorKey = IssuingKey.Create(new IssuerReference(Chiyoda, 1));
        var forged = VirtualCards.Issue(impostorKey, residentHeader, "1234");

        var statusList = new CardStatusList([new((Chiyoda, CardNumber.Parse("C-000002")), CardStatus.Suspended)], []);
        var trust = new TrustStore([issuingKey.PublicKey], [jpkiCa.CaCertificate], statusList,
            new Dictionary<string, IReadOnlyList<ServiceRegistration>> { [jpki.SerialNumber] = [new(LibraryService, MemberNumber.Parse("L-0001"), ServiceStatus.Active, today)] });
        var verifier = new CardVerifier(trust, TimeProvider.System);

        output.WriteLine();
        output.WriteLine("Terminal (edge side, no network, no secrets)");
        var readers = new InProcessCardReaders(InProcessCardReaders.ReaderName(0));
        var reader = readers.ListReaders()[0];
        await using var monitor = new ReaderMonitor(readers);
        using var inserted = new SemaphoreSlim(0);
        monitor.CardInserted += (_, e) =>
        {
            output.WriteLine($"  [{e.ReaderName}] card inserted, ATR {Convert.ToHexString(e.Atr ?? [])}");
            inserted.Release();
        };
        monitor.Start();

        async Task Present(string what, ISmartCard card, Func<ICardConnection, IdentificationResult> identify)
        {
            readers.Insert(reader, card);
            if (!await inserted.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken))
            {
                throw new TimeoutException($"The reader monitor did not report the card in {reader}.");
            }
            using var connection = readers.Connect(reader);
            var watch = Stopwatch.StartNew();
            var result = identify(connection);
            watch.Stop();
            output.WriteLine($"  {what}: {Describe(result)} ({result.ApduCount} APDUs, {watch.Elapsed.TotalMilliseconds:0.0} ms)");
            readers.Remove(reader);
            await WaitForRemovedAsync(monitor, reader, cancellationToken);
        }

        await Present("resident card, no PIN", resident, c => verifier.IdentifyCardAp(c));
        await Present("resident card, wrong PIN", resident, c => verifier.IdentifyCardAp(c, "0000"));
        await Present("resident card, PIN 1234 (tries restored)", resident, c => verifier.IdentifyCardAp(c, "1234"));
        await Present("resident card, JPKI link", resident, c => verifier.IdentifyJpki(c));
        await Present("operator card, PIN 2468", operatorCard, c => verifier.IdentifyCardAp(c, "2468"));
        await Present("suspended card", suspended, c => verifier.IdentifyCardAp(c));
        await Present("cloned card", clone, c => verifier.IdentifyCardAp(c));
        await Present("forged card", forged, c => verifier.IdentifyCardAp(c));
        await monitor.StopAsync();

        resident.Save(Path.Combine(outputDirectory.FullName, "resident.json"));
        operatorCard.Save(Path.Combine(outputDirectory.FullName, "operator.json"));
        await File.WriteAllTextAsync(Path.Combine(outputDirectory.FullName, "issuer-131016-01.pub.pem"),
            System.Security.Cryptography.PemEncoding.WriteString("PUBLIC KEY", issuingKey.PublicKey.SubjectPublicKeyInfo) + "\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(outputDirectory.FullName, "jpki-test-ca.pem"), jpkiCa.CaCertificate.ExportCertificatePem() + "\n", cancellationToken);
        output.WriteLine();
        output.WriteLine($"Cards saved in {outputDirectory.FullName}: put one in a PC/SC reader with");
        output.WriteLine($"  cardap-vcard run {Path.Combine(outputDirectory.FullName, "resident.json")} --slot 0");
        return ExitCodes.Success;
    }

    private static string Describe(IdentificationResult result)
    {
        if (result.Identity is { } who)
        {
            var subject = who.Operator is { } op ? $"operator {op.Id} ({op.Role})"
                : who.CardNumber is { } number ? $"card {number}"
                : $"JPKI certificate {who.CertificateSerial}";
            var library = who.MemberOf(LibraryService) is { } member ? $", library member {member}" : string.Empty;
            return $"identified {subject}{library}{(who.PinVerified ? ", PIN verified" : string.Empty)}";
        }
        var refusal = result.Refusal!;
        return $"refused ({refusal.Reason}): {refusal.MessageEn} / {refusal.MessageJa}";
    }

    private static async Task WaitForRemovedAsync(ReaderMonitor monitor, string reader, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (monitor.IsCardPresent(reader))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The reader monitor did not report the card leaving {reader}.");
            }
            await Task.Delay(5, cancellationToken);
        }
    }
}
