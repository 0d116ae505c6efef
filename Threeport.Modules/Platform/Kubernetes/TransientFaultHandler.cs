using System.Net;
using Polly;
using Polly.Retry;

namespace Threeport.Modules.Platform.Kubernetes;

// Retries what a cluster may answer differently a moment later (timeouts, dropped connections, 429, 5xx),
// a few times with jittered backoff. Bounded on purpose: anything longer is the reconciler's backoff.
public sealed class TransientFaultHandler : DelegatingHandler
{
    private readonly ResiliencePipeline<HttpResponseMessage> pipeline;

    public TransientFaultHandler(TimeProvider time, int maxRetries = 3, TimeSpan? baseDelay = null)
    {
        pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = maxRetries,
                Delay = baseDelay ?? TimeSpan.FromMilliseconds(100),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutException>()
                    .HandleResult(r => r.StatusCode is HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500),
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            })
            .Build();
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        pipeline.ExecuteAsync(async ct => await base.SendAsync(request, ct), cancellationToken).AsTask();
}
