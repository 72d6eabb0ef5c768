using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Nimmerverse.Testing.Nyx;

/// <summary>
/// A stand-in for a model that cannot run here (a large one that would answer sensibly), or for a
/// broken server: a real socket speaking HTTP/1.1 that answers OpenAI's chat completions with a
/// script. Answers are protocol-faithful (<c>chat.completion</c>, <c>usage</c>), one request per
/// connection. It can also hang (accept, never answer) or answer 200 with a body that is no
/// chat completion. Every request body is kept, in arrival order.
/// </summary>
public sealed class ScriptedChatServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _connections = [];
    private readonly Func<JsonElement, string>? _content;
    private readonly bool _garbage;

    private ScriptedChatServer(Func<JsonElement, string>? content, bool garbage)
    {
        (_content, _garbage) = (content, garbage);
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    /// <summary>Answers each request with the assistant content <paramref name="content"/> makes of its body.</summary>
    public static ScriptedChatServer Answering(Func<JsonElement, string> content) => new(content, garbage: false);

    /// <summary>Takes every request and never answers.</summary>
    public static ScriptedChatServer Hanging() => new(null, garbage: false);

    /// <summary>Answers 200 with JSON that is no chat completion.</summary>
    public static ScriptedChatServer Garbage() => new(null, garbage: true);

    /// <summary>The OpenAI-compatible base URL (<c>…/v1</c>).</summary>
    public Uri ApiBase => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/v1");

    /// <summary>The request bodies, as they came.</summary>
    public ConcurrentQueue<JsonElement> Requests { get; } = new();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient connection;
            try
            {
                connection = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _connections.Add(connection);
            _ = Task.Run(() => ServeAsync(connection));
        }
    }

    private async Task ServeAsync(TcpClient connection)
    {
        try
        {
            var stream = connection.GetStream();
            var buffer = new byte[1 << 20];
            var read = 0;
            int headerEnd;
            while ((headerEnd = Encoding.ASCII.GetString(buffer, 0, read).IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), _stop.Token);
                if (n == 0)
                {
                    return;
                }

                read += n;
            }

            var headers = Encoding.ASCII.GetString(buffer, 0, headerEnd);
            var length = headers.Split("\r\n").Select(h => h.Split(':', 2)).Where(h => h.Length == 2 && h[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                .Select(h => int.Parse(h[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
            while (read < headerEnd + 4 + length)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), _stop.Token);
                if (n == 0)
                {
                    return;
                }

                read += n;
            }

            var request = JsonDocument.Parse(buffer.AsMemory(headerEnd + 4, length)).RootElement.Clone();
            Requests.Enqueue(request);
            if (_content is null && !_garbage)
            {
                await Task.Delay(Timeout.Infinite, _stop.Token); // hangs
            }

            var body = _garbage
                ? """{"choices": "not a list"}"""
                : JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["id"] = $"chatcmpl-{Guid.NewGuid():N}",
                    ["object"] = "chat.completion",
                    ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                    ["model"] = request.GetProperty("model").GetString()!,
                    ["choices"] = new[] { new Dictionary<string, object> { ["index"] = 0, ["message"] = new { role = "assistant", content = _content!(request) }, ["finish_reason"] = "stop" } },
                    ["usage"] = new { prompt_tokens = 10, completion_tokens = 20, total_tokens = 30 },
                });
            var bytes = Encoding.UTF8.GetBytes(body);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"), _stop.Token);
            await stream.WriteAsync(bytes, _stop.Token);
            await stream.FlushAsync(_stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
        finally
        {
            connection.Dispose();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }

        _stop.Dispose();
    }
}
