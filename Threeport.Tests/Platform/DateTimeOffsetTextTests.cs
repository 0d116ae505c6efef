using System.Globalization;
using CsCheck;
using Threeport.Modules.Platform.Persistence;

namespace Threeport.Tests.Platform;

// Stored times are read by a parser of the one shape they are written in; it must agree with DateTimeOffset.Parse
// on everything, including what it hands over to it.
[TestFixture]
public sealed class DateTimeOffsetTextTests
{
    private static readonly Gen<DateTimeOffset> Times =
        Gen.Select(Gen.Long[DateTime.MinValue.AddDays(2).Ticks, DateTime.MaxValue.AddDays(-2).Ticks], Gen.Int[-14 * 60, 14 * 60],
            (ticks, minutes) => new DateTimeOffset(new DateTime(ticks), TimeSpan.FromMinutes(minutes)));

    [Test]
    public void AStoredTime_ReadsBackExactly_AsDateTimeOffsetParseReadsIt() =>
        Times.Sample(time =>
        {
            var text = DateTimeOffsetText.ToText(time);
            var read = DateTimeOffsetText.Parse(text);
            read.Should().Be(time);
            read.Offset.Should().Be(time.Offset, "equality of DateTimeOffsets compares instants only");
            read.Should().Be(DateTimeOffset.Parse(text, CultureInfo.InvariantCulture));
        });

    [TestCase("2026-11-25T16:27:55.5Z")]
    [TestCase("2026-11-25 16:27:55")]
    [TestCase("2026-11-25 16:27:55.12345678+00:00")]
    [TestCase("2026-02-29 10:00:00+00:00")]
    [TestCase("2026-11-25 16:27:55+15:00")]
    public void OtherShapes_AreReadOrRefused_AsDateTimeOffsetParseDoes(string text)
    {
        var expected = Record.Of(() => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture));
        var actual = Record.Of(() => DateTimeOffsetText.Parse(text));
        actual.Should().Be(expected);
    }

    private sealed record Record(DateTimeOffset? Value, Type? Error)
    {
        public static Record Of(Func<DateTimeOffset> parse)
        {
            try
            {
                return new Record(parse(), null);
            }
            catch (FormatException ex)
            {
                return new Record(null, ex.GetType());
            }
        }
    }
}
