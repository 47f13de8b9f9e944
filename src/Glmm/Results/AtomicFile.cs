using System.Text;

namespace Glmm.Results;

/// <summary>
/// Writes every file the library and the tool produce (saved models, the random-effects table, …) without ever
/// leaving a half-written or lost file: the content goes to a temporary file beside the target, is flushed to disk,
/// and only then renamed over the target (an atomic replace on one file system). When anything fails — a full disk,
/// a missing directory, no permission — the temporary file is removed, the old file is untouched, and the error is a
/// <see cref="GlmmInputException"/> with one line naming the file and the reason. A symbolic link is followed (the
/// file it points to is replaced); devices and kernel files (<c>/dev/…</c>, <c>/proc/…</c>) are written in place.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> as UTF-8 (no byte order mark) to <paramref name="path"/>, atomically.</summary>
    public static void WriteAllText(string path, string content) =>
        Write(path, stream =>
        {
            var bytes = new UTF8Encoding(false).GetBytes(content);
            stream.Write(bytes, 0, bytes.Length);
        });

    /// <summary>Writes what <paramref name="write"/> puts into the stream to <paramref name="path"/>, atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new GlmmInputException($"cannot write '{path}': not a valid file name");
        }
        if (Directory.Exists(full)) throw new GlmmInputException($"cannot write '{path}': it is a directory");
        // Devices and kernel files (/dev/stdout, /dev/null, /proc/self/fd/1, …) are written in place: a rename would
        // replace the device node itself.
        if (IsSpecial(full))
        {
            WriteInPlace(path, full, write);
            return;
        }
        // A symbolic link is followed, so the file it points to is replaced and the link kept.
        try
        {
            if (File.Exists(full) && new FileInfo(full).LinkTarget is not null
                && new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } target)
                full = target.FullName;
        }
        catch (IOException)
        {
            // a broken or cyclic link: write to the path as given
        }
        string directory = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(directory)) throw new GlmmInputException($"cannot write '{path}': the directory '{directory}' does not exist");
        string temp = Path.Combine(directory, "." + Path.GetFileName(full) + ".tmp-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            TryDelete(temp);
            string reason = e is UnauthorizedAccessException or System.Security.SecurityException ? "permission denied" : e.Message.ReplaceLineEndings(" ").Trim();
            throw new GlmmInputException($"cannot write '{path}': {reason} (any existing file is unchanged)", e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static bool IsSpecial(string full) =>
        OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()
            ? full.StartsWith("/dev/", StringComparison.Ordinal) || full.StartsWith("/proc/", StringComparison.Ordinal)
              || full.StartsWith("/sys/", StringComparison.Ordinal)
            : full.StartsWith(@"\\.\", StringComparison.Ordinal);

    private static void WriteInPlace(string path, string full, Action<Stream> write)
    {
        try
        {
            using var stream = new FileStream(full, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            write(stream);
            stream.Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            string reason = e is UnauthorizedAccessException or System.Security.SecurityException ? "permission denied" : e.Message.ReplaceLineEndings(" ").Trim();
            throw new GlmmInputException($"cannot write '{path}': {reason}", e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the temporary file is left behind; the target is unchanged either way
        }
    }
}
