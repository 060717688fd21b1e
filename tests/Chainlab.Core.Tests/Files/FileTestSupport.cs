using System.Security.Cryptography;
using Chainlab.Core.Files;

namespace Chainlab.Core.Tests.Files;

/// <summary>A file of any size without holding it: byte i = (i*7 + (i >> 9) + (i >> 18) + seed) mod 256, as generate.mjs makes it.</summary>
public sealed class PatternStream(long length, int seed) : Stream
{
    private long _at;
    public static byte At(long i, int seed) => (byte)((i * 7) + (i >> 9) + (i >> 18) + seed);
    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = (int)Math.Min(count, length - _at);
        for (var k = 0; k < n; k++) buffer[offset + k] = At(_at + k, seed);
        _at += n;
        return n;
    }
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _at; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A stream that only hashes what is written to it.</summary>
public sealed class HashingStream : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    public long Written { get; private set; }
    public byte[] Digest() => _hash.GetHashAndReset();
    public override void Write(byte[] buffer, int offset, int count) { _hash.AppendData(buffer, offset, count); Written += count; }
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) { Write(buffer, offset, count); return Task.CompletedTask; }
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) { _hash.AppendData(buffer.Span); Written += buffer.Length; return ValueTask.CompletedTask; }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Written;
    public override long Position { get => Written; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
