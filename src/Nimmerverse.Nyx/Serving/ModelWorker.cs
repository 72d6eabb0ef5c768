using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Sampling;

namespace Nimmerverse.Nyx.Serving;

/// <summary>
/// One model and the one worker that generates with it, a request at a time (a llama.cpp context
/// is one sequence here), taking the next from its queue: by arrival, or by (priority, arrival)
/// with lower values first, as vLLM schedules. A full queue refuses at once; a request whose client
/// left is skipped while queued and stopped while running. Tokens come no faster than the configured
/// least time per token (<see cref="NyxOptions.MinTokenMilliseconds"/>).
/// </summary>
public sealed class ModelWorker : IAsyncDisposable
{
    private readonly LLamaWeights _weights;
    private readonly StatelessExecutor _executor;
    private readonly bool _byPriority;
    private readonly int _maxQueue;
    private readonly TimeSpan _minTokenTime;
    private readonly ILogger _log;
    private readonly PriorityQueue<GenerationJob, (int Priority, long Arrival)> _queue = new();
    private readonly SemaphoreSlim _waiting = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private long _arrivals;
    private long _served;

    public ModelWorker(NyxModel model, bool byPriority, int maxQueue, TimeSpan minTokenTime, ILogger log)
    {
        (Name, ContextSize) = (model.Name, model.ContextSize);
        (_byPriority, _maxQueue, _minTokenTime, _log) = (byPriority, maxQueue, minTokenTime, log);
        var parameters = new ModelParams(model.FullPath) { ContextSize = (uint)model.ContextSize, Threads = model.Threads, GpuLayerCount = 0 };
        _weights = LLamaWeights.LoadFromFile(parameters);
        // One executor for the worker's life: each inference makes its own context, and making the
        // executor makes (and drops) one more, which a new executor per request would pay every time.
        _executor = new StatelessExecutor(_weights, parameters);
        _loop = Task.Run(RunAsync);
    }

    public string Name { get; }

    /// <summary>Tokens of prompt and answer together.</summary>
    public int ContextSize { get; }

    public int QueueDepth
    {
        get
        {
            lock (_queue)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Queues <paramref name="job"/>; false when the queue is full.</summary>
    public bool TryEnqueue(GenerationJob job)
    {
        lock (_queue)
        {
            if (_queue.Count >= _maxQueue)
            {
                return false;
            }

            _queue.Enqueue(job, (_byPriority ? job.Priority : 0, _arrivals++));
        }

        _waiting.Release();
        return true;
    }

    /// <summary>The prompt's length in tokens, as the model counts it (the <c>usage</c> figure).</summary>
    public int CountTokens(string text) => _weights.Tokenize(text, true, true, System.Text.Encoding.UTF8).Length;

    private async Task RunAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await _waiting.WaitAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            GenerationJob job;
            lock (_queue)
            {
                job = _queue.Dequeue();
            }

            if (job.Cancellation.IsCancellationRequested)
            {
                job.Result.TrySetCanceled(job.Cancellation);
                continue;
            }

            job.Served.TrySetResult(++_served);
            try
            {
                job.Result.TrySetResult(await GenerateAsync(job).ConfigureAwait(false));
            }
            catch (OperationCanceledException)
            {
                job.Result.TrySetCanceled();
            }
            catch (Exception e)
            {
                _log.LogError(e, "Model {Model} failed a generation", Name);
                job.Result.TrySetException(e);
            }
            finally
            {
                job.Pieces.Writer.TryComplete();
            }
        }
    }

    private async Task<GenerationResult> GenerateAsync(GenerationJob job)
    {
        var sampling = new DefaultSamplingPipeline { Temperature = job.Temperature, Seed = job.Seed ?? (uint)Random.Shared.Next(), PreventEOS = job.IgnoreEos, Grammar = job.Grammar is { } gbnf ? new Grammar(gbnf, "root") : null };
        // Admission made sure prompt and answer fit the context: an overflow would be a bug, and throws.
        var inference = new InferenceParams { MaxTokens = job.MaxTokens, SamplingPipeline = sampling };
        var generated = 0;
        var started = Stopwatch.GetTimestamp();
        using var both = CancellationTokenSource.CreateLinkedTokenSource(job.Cancellation, _stopping.Token);
        await foreach (var piece in _executor.InferAsync(job.Prompt, inference, both.Token).ConfigureAwait(false))
        {
            generated++;
            var early = (_minTokenTime * generated) - Stopwatch.GetElapsedTime(started);
            if (early > TimeSpan.Zero)
            {
                await Task.Delay(early, both.Token).ConfigureAwait(false); // the token is out when a model of that pace would have it
            }

            if (piece.Length > 0)
            {
                await job.Pieces.Writer.WriteAsync(piece, both.Token).ConfigureAwait(false);
            }
        }

        both.Token.ThrowIfCancellationRequested();
        return new GenerationResult(generated >= job.MaxTokens ? "length" : "stop", job.PromptTokens, generated);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _weights.Dispose();
        _stopping.Dispose();
        _waiting.Dispose();
    }
}
