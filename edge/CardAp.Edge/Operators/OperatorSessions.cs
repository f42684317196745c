using System.Collections.Concurrent;
using System.Security.Cryptography;
using CardAp.Card.Readers;
using CardAp.Edge.Errors;
using CardAp.Edge.Options;
using CardAp.Edge.Readers;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace CardAp.Edge.Operators;

/// <summary>
/// Signed-in operators. A session ends when its operator card leaves the reader, after the idle
/// timeout, or on sign-out. Tokens are random and held only in memory: a restart signs everyone out.
/// </summary>
public sealed class OperatorSessions
{
    private readonly ConcurrentDictionary<string, OperatorSession> _sessions = new(StringComparer.Ordinal);
    private readonly IOptions<EdgeOptions> _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<OperatorSessions> _logger;

    public OperatorSessions(IOptions<EdgeOptions> options, TimeProvider clock, ReaderEventHub readers, ILogger<OperatorSessions> logger)
    {
        _options = options;
        _clock = clock;
        _logger = logger;
        readers.Published += e =>
        {
            if (e.Kind is ReaderEventKind.CardRemoved or ReaderEventKind.ReaderRemoved or ReaderEventKind.ServiceLost)
            {
                EndOnReader(e.ReaderName, e.Kind == ReaderEventKind.ServiceLost);
            }
        };
    }

    public int Count => _sessions.Count;

    public OperatorSession Start(string operatorId, string role, string reader, bool training)
    {
        // One operator card, one session: a second sign-in on the same reader replaces the first.
        EndOnReader(reader, all: false);
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        var session = new OperatorSession(token, operatorId, role, reader, _clock.GetUtcNow()) { Training = training };
        _sessions[token] = session;
        return session;
    }

    public void End(string token) => _sessions.TryRemove(token, out _);

    /// <summary>The live session for a token, refreshed; UNAUTHENTICATED with a clear message otherwise.</summary>
    public OperatorSession Require(string token)
    {
        if (string.IsNullOrEmpty(token) || !_sessions.TryGetValue(token, out var session))
        {
            throw new EdgeRefusal(StatusCode.Unauthenticated, "NotSignedIn",
                "No operator is signed in (or the session ended). Insert the operator card and sign in again.",
                "操作者がサインインしていません(またはセッションが終了しました)。操作者カードを挿入して再度サインインしてください。");
        }
        var now = _clock.GetUtcNow();
        if (now - session.LastUsed > _options.Value.SessionIdleTimeout)
        {
            _sessions.TryRemove(token, out _);
            throw new EdgeRefusal(StatusCode.Unauthenticated, "SessionTimedOut",
                "The operator session timed out. Please sign in again.",
                "一定時間操作がなかったため、サインインが解除されました。再度サインインしてください。");
        }
        session.LastUsed = now;
        return session;
    }

    public DateTimeOffset ExpiresAt(OperatorSession session) => session.LastUsed + _options.Value.SessionIdleTimeout;

    private void EndOnReader(string reader, bool all)
    {
        foreach (var (token, session) in _sessions)
        {
            if (all || session.Reader == reader)
            {
                if (_sessions.TryRemove(token, out _))
                {
                    _logger.LogInformation("Operator {Operator} signed out: card left {Reader}", session.OperatorId, session.Reader);
                }
            }
        }
    }
}
