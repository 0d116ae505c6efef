using Threeport.Modules.Platform.Reconciliation;

namespace Threeport.Tests.Platform;

public sealed class BackoffTests
{
    [TestCase(1, 1000)]
    [TestCase(2, 2000)]
    [TestCase(3, 4000)]
    [TestCase(5, 16000)]
    [TestCase(6, 30000)]
    [TestCase(60, 30000)]
    public void Next_WithoutJitter_DoublesFromOneSecondUpToThirty(int attempt, int expectedMs) =>
        Backoff.Default.Next(attempt, 0.5).TotalMilliseconds.Should().Be(expectedMs);

    [TestCase(0.0)]
    [TestCase(0.999)]
    public void Next_WithJitter_StaysWithinTwentyPercentAndTheBounds(double random)
    {
        for (var attempt = 1; attempt < 10; attempt++)
        {
            var plain = Backoff.Default.Next(attempt, 0.5);
            var jittered = Backoff.Default.Next(attempt, random);
            jittered.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1)).And.BeLessThanOrEqualTo(TimeSpan.FromSeconds(30));
            jittered.TotalMilliseconds.Should().BeApproximately(plain.TotalMilliseconds, plain.TotalMilliseconds * 0.2 + 1);
        }
    }

    [Test]
    public void Next_ForHugeAttempts_DoesNotOverflow() =>
        Backoff.Default.Next(int.MaxValue, 0.5).Should().Be(TimeSpan.FromSeconds(30));
}
