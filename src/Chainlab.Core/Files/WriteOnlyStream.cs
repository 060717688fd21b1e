namespace Chainlab.Core.Files;

/// <summary>
/// A stream that is only written to and decides what to do with each buffer (pass a window on, count, stop):
/// the rest of the Stream API in one place. Position is the bytes passed on.
/// </summary>
public abstract class WriteOnlyStream : Stream
{
    protected long Passed { get; set; }

    public abstract override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Passed;
    public override long Position { get => Passed; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
