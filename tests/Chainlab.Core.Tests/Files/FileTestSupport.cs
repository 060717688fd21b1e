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
public sealed class HashingStream : WriteOnlyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    public long Written => Passed;
    public byte[] Digest() => _hash.GetHashAndReset();
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) { _hash.AppendData(buffer.Span); Passed += buffer.Length; return ValueTask.CompletedTask; }
}
