import ByteIO

/// A run of bytes kept in memory of its own, grown as needed and reused: a ``TarReader``'s current
/// name and link target (which ``TarEntryView`` points into), the layer scanner's previous path.
package final class ByteStorage {
    /// Empty storage.
    package init() {}

    private var base = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 1)
    private var capacity = 256
    private var count = 0

    /// The bytes held, valid until the next ``set(prefix:_:)``.
    package var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: count)
    }

    /// Holds `bytes` (after `prefix` and a `/`, when `prefix` is not empty) from now on. Neither
    /// may point into this storage (growing it frees the old memory first).
    /// - Returns: The bytes held.
    @discardableResult
    package func set(prefix: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0), _ bytes: UnsafeRawBufferPointer)
        -> UnsafeBufferPointer<UInt8>
    {
        let total = prefix.isEmpty ? bytes.count : prefix.count + 1 + bytes.count
        if total > capacity {
            base.deallocate()
            capacity = max(total, capacity * 2)
            base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 1)
        }
        var at = 0
        if let p = prefix.baseAddress, !prefix.isEmpty {
            base.copyMemory(from: p, byteCount: prefix.count)
            base.storeBytes(of: UInt8(ascii: "/"), toByteOffset: prefix.count, as: UInt8.self)
            at = prefix.count + 1
        }
        if let b = bytes.baseAddress, !bytes.isEmpty { (base + at).copyMemory(from: b, byteCount: bytes.count) }
        count = total
        return self.bytes
    }

    deinit { base.deallocate() }
}
