using System.Globalization;
using CardAp.Card.Iso7816;

namespace CardAp.Card.Application;

/// <summary>Dates on the card are yyyyMMdd ASCII; validity is judged by the calendar day in Japan.</summary>
public static class CardDates
{
    // Japan has no daylight saving time, so a fixed offset is exact and needs no tz database.
    public static readonly TimeSpan JapanOffset = CardAp.Shared.Hours.JapanTime.Offset;

    public static string Format(DateOnly date) => date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static DateOnly Parse(ReadOnlySpan<byte> ascii, string what)
    {
        var text = System.Text.Encoding.ASCII.GetString(ascii);
        if (!DateOnly.TryParseExact(text, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw new CardProtocolException($"{what} '{text}' is not a yyyyMMdd date.");
        }
        return date;
    }

    /// <summary>Today's date in Japan according to the given clock.</summary>
    public static DateOnly TodayInJapan(TimeProvider clock) =>
        DateOnly.FromDateTime(clock.GetUtcNow().ToOffset(JapanOffset).DateTime);
}
