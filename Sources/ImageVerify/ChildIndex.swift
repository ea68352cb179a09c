import ByteIO
import ImageArchive
import OCI
import Tar

/// The directory entries of a ``MergedFilesystem``: one open-addressing hash table from
/// (parent node, name) to the child node, for every directory at once.
///
/// One table instead of a dictionary per directory keeps memory at 8 bytes per entry (at most
/// half full) and costs no allocation per directory. Each slot holds the entry's hash and node
/// side by side, so that a lookup that finds nothing (most do, while the tree is built) touches
/// one cache line; the caller compares names, since only it knows where they are stored.
struct ChildIndex: Sendable {
    /// A slot: the node (or ``empty`` / ``deleted``) and the hash of its entry.
    private struct Slot: Sendable {
        var node: Int32
        var hash: UInt32
    }

    private var slots: [Slot]
    /// Slots not empty (entries and deleted markers), kept at most half of the table.
    private var used = 0

    private static let empty: Int32 = -1
    private static let deleted: Int32 = -2

    /// An index with room for `capacity` entries before it grows.
    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        slots = [Slot](repeating: Slot(node: Self.empty, hash: 0), count: size)
    }

    /// The hash of a name in a directory (FNV-1a over the bytes, seeded with the parent).
    static func hash(parent: Int32, name: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ (UInt64(UInt32(bitPattern: parent)) &* 0x9E37_79B9_7F4A_7C15)
        for b in name { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    /// The node whose entry has `hash` and for which `matches` is true, if any.
    func find(hash: UInt32, _ matches: (Int32) -> Bool) -> Int32? {
        slots.withUnsafeBufferPointer { table in
            let mask = table.count - 1
            var i = Int(hash) & mask
            while true {
                let slot = table[i]
                if slot.node == Self.empty { return nil }
                if slot.node >= 0 && slot.hash == hash && matches(slot.node) { return slot.node }
                i = (i + 1) & mask
            }
        }
    }

    /// Adds an entry (the caller has made sure the name is not there yet).
    mutating func insert(_ node: Int32, hash: UInt32) {
        if (used + 1) * 2 > slots.count { rehash(to: slots.count * 2) }
        let mask = slots.count - 1
        var i = Int(hash) & mask
        while slots[i].node >= 0 { i = (i + 1) & mask }
        if slots[i].node == Self.empty { used += 1 }
        slots[i] = Slot(node: node, hash: hash)
    }

    /// Removes the entry of `node`, whose hash is `hash`.
    mutating func remove(_ node: Int32, hash: UInt32) {
        let mask = slots.count - 1
        var i = Int(hash) & mask
        while slots[i].node != Self.empty {
            if slots[i].node == node {
                slots[i].node = Self.deleted
                return
            }
            i = (i + 1) & mask
        }
    }

    private mutating func rehash(to size: Int) {
        let old = slots
        slots = [Slot](repeating: Slot(node: Self.empty, hash: 0), count: size)
        used = 0
        let mask = size - 1
        for slot in old where slot.node >= 0 {
            var j = Int(slot.hash) & mask
            while slots[j].node != Self.empty { j = (j + 1) & mask }
            slots[j] = slot
            used += 1
        }
    }
}
