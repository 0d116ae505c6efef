namespace Threeport.Modules.DevCluster;

// Runtime-switchable faults for tests: rules per verb/resource, deterministic given Seed, and a
// Down switch that drops every connection until it is switched off again.
public sealed class FaultInjector
{
    private readonly object gate = new();
    private readonly List<FaultRule> rules = [];
    private Random random = new(0);
    private int seed;
    private volatile bool down;

    public bool Down
    {
        get => down;
        set => down = value;
    }

    // Re-seeds the generator that decides which matching requests fail.
    public int Seed
    {
        get
        {
            lock (gate)
            {
                return seed;
            }
        }

        set
        {
            lock (gate)
            {
                seed = value;
                random = new Random(value);
            }
        }
    }

    public IReadOnlyList<FaultRule> Rules
    {
        get
        {
            lock (gate)
            {
                return [.. rules];
            }
        }
    }

    // Adds the rule, replacing one with the same Verb and Resource.
    public void Set(FaultRule rule)
    {
        lock (gate)
        {
            rules.RemoveAll(r => string.Equals(r.Verb, rule.Verb, StringComparison.OrdinalIgnoreCase)
                && string.Equals(r.Resource, rule.Resource, StringComparison.OrdinalIgnoreCase));
            rules.Add(rule);
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            rules.Clear();
            down = false;
        }
    }

    internal FaultDecision Decide(string httpMethod, string? verb, string? resource)
    {
        lock (gate)
        {
            var latency = TimeSpan.Zero;
            var answerLatency = TimeSpan.Zero;
            FaultRule? failing = null;
            foreach (var r in rules)
            {
                var verbMatches = r.Verb is null
                    || string.Equals(r.Verb, httpMethod, StringComparison.OrdinalIgnoreCase)
                    || string.Equals(r.Verb, verb, StringComparison.OrdinalIgnoreCase);
                var resourceMatches = r.Resource is null || string.Equals(r.Resource, resource, StringComparison.OrdinalIgnoreCase);
                if (!verbMatches || !resourceMatches)
                {
                    continue;
                }

                latency += r.Latency;
                answerLatency += r.AnswerLatency;
                if (failing is null && r.ErrorRate > 0 && random.NextDouble() < r.ErrorRate)
                {
                    failing = r;
                }
            }

            return new FaultDecision(latency, answerLatency, failing);
        }
    }
}

internal sealed record FaultDecision(TimeSpan Latency, TimeSpan AnswerLatency, FaultRule? Failing);
