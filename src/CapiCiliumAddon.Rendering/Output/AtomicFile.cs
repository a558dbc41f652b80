using System.Buffers;
using System.Text;

namespace CapiCiliumAddon.Rendering.Output;

/// <summary>
/// Writes a file so that readers see the old content or the new, never a half-written one: a temp file in the same
/// directory (same filesystem, so the rename is atomic), flushed to disk, then renamed over the target.
/// </summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public static void WriteAllText(string path, string content)
    {
        // Encoded into a pooled buffer: a fleet render writes thousands of ~60 KB files.
        var bytes = ArrayPool<byte>.Shared.Rent(Utf8NoBom.GetByteCount(content));
        try
        {
            WriteAllBytes(path, bytes.AsSpan(0, Utf8NoBom.GetBytes(content, bytes)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <param name="keepMode">Give the new file the permissions of the one it replaces (for edits of a user's files).</param>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content, bool keepMode = false)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            if (keepMode && !OperatingSystem.IsWindows() && File.Exists(path))
            {
                File.SetUnixFileMode(temp, File.GetUnixFileMode(path));
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>True when the file already holds exactly this content; lets writers leave unchanged files untouched.</summary>
    public static bool HasContent(string path, string content)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        var expected = ArrayPool<byte>.Shared.Rent(Utf8NoBom.GetByteCount(content));
        try
        {
            return File.ReadAllBytes(path).AsSpan().SequenceEqual(expected.AsSpan(0, Utf8NoBom.GetBytes(content, expected)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(expected);
        }
    }
}
