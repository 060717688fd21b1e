namespace Chainlab.Cli.Processes;

/// <summary>
/// A node's log file with a size bound: past the limit the file becomes name.1 (replacing the previous one)
/// and a new file starts, so a node flooded with bad requests cannot fill the disk with its log.
/// </summary>
public sealed class RotatingLog(string path, long maxBytes = 16 * 1024 * 1024) : IDisposable
{
    private readonly object _gate = new();
    private StreamWriter _writer = new(path, append: true) { AutoFlush = true };
    private bool _disposed;

    public void WriteLine(string line)
    {
        lock (_gate)
        {
            if (_disposed) return;
            if (_writer.BaseStream.Length + line.Length + 1 > maxBytes && _writer.BaseStream.Length > 0)
            {
                _writer.Dispose();
                File.Move(path, path + ".1", overwrite: true);
                _writer = new StreamWriter(path, append: false) { AutoFlush = true };
            }
            _writer.WriteLine(line);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _writer.Dispose();
        }
    }
}
