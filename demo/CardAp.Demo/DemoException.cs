namespace CardAp.Demo;

/// <summary>A step of the demo did not go as scripted; the message says which and why.</summary>
public sealed class DemoException(string message) : Exception(message);
