/// The writing counterpart of ``ByteSource``: a file, stdout, a gzip ``Deflater``, a hashing tee.
public protocol ByteSink {
    /// Writes all of `bytes`, or throws.
    ///
    /// - Parameter bytes: The bytes to write; an empty buffer writes nothing.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws

    /// Flushes whatever the sink holds and writes any trailer. Nothing may be written after it.
    mutating func finish() throws
}
