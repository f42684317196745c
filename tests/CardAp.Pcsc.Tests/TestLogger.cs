using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CardAp.Pcsc.Tests;

/// <summary>Keeps log lines in memory so a test can show them (background threads have no test output of their own).</summary>
public sealed class TestLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => [.. _lines];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception)}");
}
