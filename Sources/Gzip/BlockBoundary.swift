import ByteIO

/// Where ``ParallelDeflater`` ends a block: at a point chosen by the bytes, not by the offset.
///
/// A gear rolling hash (as in FastCDC) runs over the uncompressed bytes; a block ends after a
/// byte where the hash's top bits are all zero, at least ``minimum`` and at most ``maximum``
/// bytes after the block's start. Each byte enters the hash shifted by one bit per later byte,
/// so the top bits depend on the last 64 bytes only: the same content gives the same cut
/// wherever it sits. After a change inside a layer, the cuts fall at the same content as
/// before within a block or two, and from there every block, compressed with the 32 KiB
/// before it as its dictionary, comes out the same bytes as before: the change costs the
/// compressed bytes around it, not the rest of the member (rsync-friendly gzip's idea, with
/// the ratio of one stream kept).
///
/// The table and the rule are part of the output's identity: changing them changes every
/// packed archive's bytes.
struct BlockBoundary {
    /// No cut closer than this to a block's start.
    let minimum: Int
    /// A cut here whatever the content.
    let maximum: Int
    /// The hash bits that must be zero for a cut.
    let mask: UInt64
    private var hash: UInt64 = 0

    /// Boundaries for blocks of `average` bytes on average: three quarters of it is the minimum
    /// (the hash runs only past it, over a quarter of the bytes), the hash adds about the last
    /// quarter, and twice it is the maximum.
    ///
    /// - Parameter average: The mean block size, rounded down to a power of two (at least 64 KiB).
    init(average: Int) {
        var a = 1 << 16
        while a * 2 <= average && a < 1 << 30 { a <<= 1 }
        minimum = a / 4 * 3
        maximum = a * 2
        // log2(a / 4) top bits: a cut once in about a / 4 bytes past the minimum.
        let bits = (a / 4).trailingZeroBitCount
        mask = ~UInt64(0) << UInt64(64 - bits)
    }

    /// The length of the block's bytes that ends it, given that `filled` bytes of the block
    /// are already taken and `bytes` follow: the count of `bytes` to take up to and including
    /// the cut; `nil` when the block does not end within them (all are taken).
    mutating func cut(after filled: Int, in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        let count = bytes.count
        if filled + count < minimum - 64 { return nil }
        // The hash only needs the 64 bytes before the first place a cut may fall.
        var i = max(0, minimum - 64 - filled)
        if filled + i <= minimum - 64 { hash = 0 }
        let end = min(count, maximum - filled)
        var h = hash
        let table = Self.table
        // Up to the minimum, the hash only fills; from there, each byte may end the block.
        let fillEnd = min(end, max(i, minimum - filled - 1))
        while i < fillEnd {
            h = (h << 1) &+ table[Int(base[i])]
            i += 1
        }
        let mask = self.mask
        while i < end {
            h = (h << 1) &+ table[Int(base[i])]
            i += 1
            if h & mask == 0 {
                hash = 0
                return i
            }
        }
        hash = h
        if filled + end == maximum {
            hash = 0
            return end
        }
        return nil
    }

    /// Resets the hash: a new block (or member) starts.
    mutating func reset() { hash = 0 }

    /// ``ByteIO/GearTable``, where the hot loop reads it without bounds checks (it lives as long
    /// as the process).
    nonisolated(unsafe) private static let table: UnsafePointer<UInt64> = {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)
        p.initialize(from: GearTable.values, count: 256)
        return UnsafePointer(p)
    }()
}
