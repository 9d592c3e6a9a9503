using System.Net;
using System.Text;

namespace Crane.IntegrationTests;

public sealed record SseMessage(string? Id, string? Event, string Data);

/// <summary>A Server-Sent Events connection read message by message, each read with a deadline.</summary>
public sealed class SseStream : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseStream(HttpClient client, HttpResponseMessage response, StreamReader reader)
    {
        _client = client;
        _response = response;
        _reader = reader;
    }

    public static async Task<SseStream> OpenAsync(Uri url, string? token, string? lastEventId = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd("text/event-stream");
            if (token is not null)
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            if (lastEventId is not null)
                request.Headers.Add("Last-Event-ID", lastEventId);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                var body = await response.Content.ReadAsStringAsync(cts.Token);
                response.Dispose();
                throw new InvalidOperationException(
                    $"GET {url} answered {(int)response.StatusCode} ({response.Content.Headers.ContentType}), not an event stream: {body}");
            }

            var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token), Encoding.UTF8);
            return new SseStream(client, response, reader);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>The next message (comments skipped); fails when none arrives within <paramref name="timeout"/> or the stream ends.</summary>
    public async Task<SseMessage> NextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        string? id = null, name = null;
        var data = new StringBuilder();
        var any = false;
        while (true)
        {
            string? line;
            try
            {
                line = await _reader.ReadLineAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new WaitTimeoutException($"no server-sent event within {timeout.TotalSeconds:0.#}s");
            }

            if (line is null)
                throw new InvalidOperationException("the event stream ended");
            if (line.Length == 0)
            {
                if (any)
                    return new SseMessage(id, name, data.ToString());
                continue;
            }

            if (line.StartsWith(':'))
                continue;
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            any = true;
            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "event":
                    name = value;
                    break;
                case "data":
                    if (data.Length > 0)
                        data.Append('\n');
                    data.Append(value);
                    break;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
