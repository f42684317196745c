using System.Text.Json;

namespace CardAp.VirtualCard.State;

/// <summary>Reads and writes <see cref="VirtualCardState"/> JSON files.</summary>
public static class VirtualCardStateFile
{
    public static string Serialize(VirtualCardState state) =>
        JsonSerializer.Serialize(state, VirtualCardStateJsonContext.Default.VirtualCardState);

    /// <exception cref="VirtualCardStateException">The text is not a card state of a version this build reads.</exception>
    public static VirtualCardState Deserialize(string json, string source = "card state")
    {
        // Read the envelope first: a foreign or newer file deserves a message about that, not about
        // whichever property the strict typed reader would trip over first.
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new VirtualCardStateException($"{source} is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("format", out var format)
                || format.ValueKind != JsonValueKind.String
                || format.GetString() != VirtualCardState.FormatName)
            {
                throw new VirtualCardStateException($"{source} is not a virtual card state file (no \"format\": \"{VirtualCardState.FormatName}\").");
            }
            if (!root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v))
            {
                throw new VirtualCardStateException($"{source} has no numeric \"version\".");
            }
            if (v != VirtualCardState.CurrentVersion)
            {
                throw new VirtualCardStateException($"{source} has version {v}; this build reads version {VirtualCardState.CurrentVersion}.");
            }
        }
        try
        {
            return JsonSerializer.Deserialize(json, VirtualCardStateJsonContext.Default.VirtualCardState)
                ?? throw new VirtualCardStateException($"{source} is empty.");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new VirtualCardStateException($"{source} is corrupt: {e.Message}", e);
        }
    }

    /// <summary>
    /// Writes atomically (temporary file, then rename), so a crash never leaves half a card behind,
    /// and readable by the owner only where the OS has Unix permissions: the file holds keys and PINs.
    /// </summary>
    public static void Save(VirtualCardState state, string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(Serialize(state));
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <exception cref="VirtualCardStateException">The file is missing, unreadable, corrupt, foreign or of another version.</exception>
    public static VirtualCardState Load(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VirtualCardStateException($"Cannot read card state file {path}: {e.Message}", e);
        }
        return Deserialize(json, $"Card state file {path}");
    }
}
