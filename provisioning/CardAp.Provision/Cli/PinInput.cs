using System.CommandLine;
using System.Text;

namespace CardAp.Provision.Cli;

/// <summary>
/// A card's PIN (暗証番号), chosen by the resident or staff member at the counter. Like key
/// passphrases it never comes from the command line (shell history, process lists): from a file
/// (--pin-file), the environment (CARDAP_PIN), or typed at the terminal twice without echo. It is
/// never printed, logged or put into an error message.
/// </summary>
public static class PinInput
{
    public const string PinVariable = "CARDAP_PIN";

    public static Option<FileInfo?> PinFile() => new("--pin-file")
    {
        Description = $"A file holding the card's 4-digit PIN (or set {PinVariable}; without either, it is asked for at the terminal, twice, without echo). Never on the command line.",
    };

    /// <summary>Reads and checks the PIN; <paramref name="prompt"/> is what the terminal asks for (English, Japanese).</summary>
    public static string Read(FileInfo? file, (string En, string Ja) prompt)
    {
        string? pin;
        string source;
        if (file is not null)
        {
            source = file.FullName;
            try
            {
                pin = File.ReadAllText(file.FullName).TrimEnd('\r', '\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw ProvisionException.Environment("PinUnreadable", $"The PIN file cannot be read: {e.Message}", $"暗証番号のファイルを読み込めません: {e.Message}", e);
            }
        }
        else if (Environment.GetEnvironmentVariable(PinVariable) is { Length: > 0 } fromEnvironment)
        {
            source = PinVariable;
            pin = fromEnvironment;
        }
        else if (!Console.IsInputRedirected)
        {
            source = "the terminal";
            pin = Prompt(prompt);
        }
        else
        {
            throw ProvisionException.Refused("PinMissing",
                $"The card's PIN is needed: put it in a file given with --pin-file, or in {PinVariable}, or run the command at a terminal to type it. Nothing was changed.",
                $"カードの暗証番号が必要です。--pin-file で指定するファイルか環境変数 {PinVariable} に設定するか、端末から実行して入力してください。変更は行われていません。");
        }
        if (pin.Length != 4 || !pin.All(char.IsAsciiDigit))
        {
            // The value itself stays out of the message: it may be a PIN with a typo.
            throw ProvisionException.Refused("BadPin",
                $"The PIN from {source} is not exactly 4 digits. Nothing was changed.",
                $"{source} の暗証番号が4桁の数字ではありません。変更は行われていません。");
        }
        return pin;
    }

    private static string Prompt((string En, string Ja) prompt)
    {
        var first = ReadHidden($"{prompt.En} / {prompt.Ja}: ");
        var second = ReadHidden("Again / もう一度: ");
        if (first != second)
        {
            throw ProvisionException.Refused("PinMismatch", "The two PINs typed differ. Nothing was changed; run the command again.",
                "入力された2つの暗証番号が一致しません。変更は行われていません。もう一度実行してください。");
        }
        return first;
    }

    private static string ReadHidden(string prompt)
    {
        Console.Error.Write(prompt);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
                continue;
            }
            if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
        Console.Error.WriteLine();
        return text.ToString();
    }
}
