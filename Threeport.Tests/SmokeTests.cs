namespace Threeport.Tests;

public sealed class SmokeTests
{
    [Test]
    public void Builds() => (1 + 1).Should().Be(2);
}
