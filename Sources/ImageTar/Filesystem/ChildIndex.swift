/// The directory entries of a ``MergedFilesystem``: one open-addressing hash table from
/// (parent node, name) to the child node, for every directory at once.
///
/// One table instead of a dictionary per directory keeps memory at 8 bytes per entry (at most
/// half full) and costs no allocation per directory. The table stores each entry's hash and
/// node; the caller compares names, since only it knows where they are stored.
struct ChildIndex: Sendable {
    /// Slots: the node, or ``empty`` / ``deleted``; and the hash of the entry in each slot.
    private var nodes: [Int32]
    private var hashes: [UInt32]
    /// Slots not empty (entries and deleted markers), kept at most half of the table.
    private var used = 0

    private static let empty: Int32 = -1
    private static let deleted: Int32 = -2

    /// An index with room for `capacity` entries before it grows.
    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        nodes = [Int32](repeating: Self.empty, count: size)
        hashes = [UInt32](repeating: 0, count: size)
    }

    /// The hash of a name in a directory (FNV-1a over the bytes, seeded with the parent).
    static func hash(parent: Int32, name: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ (UInt64(UInt32(bitPattern: parent)) &* 0x9E37_79B9_7F4A_7C15)
        for b in name { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    /// The node whose entry has `hash` and for which `matches` is true, if any.
    func find(hash: UInt32, _ matches: (Int32) -> Bool) -> Int32? {
        let mask = nodes.count - 1
        var i = Int(hash) & mask
        while true {
            let node = nodes[i]
            if node == Self.empty { return nil }
            if node >= 0 && hashes[i] == hash && matches(node) { return node }
            i = (i + 1) & mask
        }
    }

    /// Adds an entry (the caller has made sure the name is not there yet).
    mutating func insert(_ node: Int32, hash: UInt32) {
        if (used + 1) * 2 > nodes.count { rehash(to: nodes.count * 2) }
        let mask = nodes.count - 1
        var i = Int(hash) & mask
        while nodes[i] >= 0 { i = (i + 1) & mask }
        if nodes[i] == Self.empty { used += 1 }
        nodes[i] = node
        hashes[i] = hash
    }

    /// Removes the entry of `node`, whose hash is `hash`.
    mutating func remove(_ node: Int32, hash: UInt32) {
        let mask = nodes.count - 1
        var i = Int(hash) & mask
        while nodes[i] != Self.empty {
            if nodes[i] == node {
                nodes[i] = Self.deleted
                return
            }
            i = (i + 1) & mask
        }
    }

    private mutating func rehash(to size: Int) {
        let oldNodes = nodes
        let oldHashes = hashes
        nodes = [Int32](repeating: Self.empty, count: size)
        hashes = [UInt32](repeating: 0, count: size)
        used = 0
        for (i, node) in oldNodes.enumerated() where node >= 0 {
            let mask = size - 1
            var j = Int(oldHashes[i]) & mask
            while nodes[j] != Self.empty { j = (j + 1) & mask }
            nodes[j] = node
            hashes[j] = oldHashes[i]
            used += 1
        }
    }
}
