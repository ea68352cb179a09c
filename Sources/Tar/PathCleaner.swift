import ByteIO

/// Cleans tar entry names the way moby does (`path.Clean` of the name with leading `/` removed).
package enum PathCleaner {
    /// Cleans `name` into `output`: no leading `/` or `./`, no `.` components, no doubled or
    /// trailing `/`, `..` applied.
    ///
    /// - Returns: `false` when a `..` would climb above the root.
    package static func clean(_ name: [UInt8], into output: inout [UInt8]) -> Bool {
        output.removeAll(keepingCapacity: true)
        if let end = alreadyCleanLength(name) {
            output.append(contentsOf: name[0..<end])
            return true
        }
        let slash = UInt8(ascii: "/")
        let dot = UInt8(ascii: ".")
        var i = 0
        let n = name.count
        while i < n {
            while i < n && name[i] == slash { i += 1 }
            if i >= n { break }
            var j = i
            while j < n && name[j] != slash { j += 1 }
            let length = j - i
            if length == 1 && name[i] == dot {
                // "." : nothing
            } else if length == 2 && name[i] == dot && name[i + 1] == dot {
                if output.isEmpty { return false }
                if let last = output.lastIndex(of: slash) {
                    output.removeSubrange(last...)
                } else {
                    output.removeAll(keepingCapacity: true)
                }
            } else {
                if !output.isEmpty { output.append(slash) }
                output.append(contentsOf: name[i..<j])
            }
            i = j
        }
        return true
    }

    /// The length of `name` without its trailing `/` when that is already clean (no leading
    /// `/`, no empty, `.` or `..` component), as nearly every tar name is; `nil` otherwise.
    static func alreadyCleanLength(_ name: [UInt8]) -> Int? {
        name.withUnsafeBytes { alreadyCleanLength($0) }
    }

    /// ``alreadyCleanLength(_:)-([UInt8])`` of bytes in memory.
    package static func alreadyCleanLength(_ p: UnsafeRawBufferPointer) -> Int? {
        let n = p.count
        guard n > 0 else { return 0 }
        // Every component starts at 0 or after a slash; the slashes are found eight bytes at
        // a time.
        guard componentIsClean(p, at: 0) else { return nil }
        let slashes: UInt64 = 0x2F2F_2F2F_2F2F_2F2F
        let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let ones: UInt64 = 0x0101_0101_0101_0101
        var i = 0
        while i + 8 <= n {
            let w = p.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian
            // The zero bytes of a word, exactly, as their high bits.
            func zeros(_ x: UInt64) -> UInt64 { ~(((x & lows) &+ lows) | x | lows) }
            // A component can only be bad where a slash is followed by a slash or a dot
            // (`.` and `/` differ in the lowest bit); the last byte's follower is in the next
            // word, so a slash there is always looked at.
            let slashesHere = zeros(w ^ slashes)
            let slashOrDot = zeros((w | ones) ^ slashes)
            var found = slashesHere & ((slashOrDot >> 8) | 0x8000_0000_0000_0000)
            while found != 0 {
                let at = i + found.trailingZeroBitCount / 8 + 1
                if at < n && !componentIsClean(p, at: at) { return nil }
                found &= found &- 1
            }
            i += 8
        }
        while i < n {
            if p[i] == 0x2F, i + 1 < n, !componentIsClean(p, at: i + 1) { return nil }
            i += 1
        }
        return p[n - 1] == 0x2F ? n - 1 : n
    }

    /// Whether the component starting at `i` (before the end) is not empty, `.` or `..`.
    @inline(__always)
    private static func componentIsClean(_ p: UnsafeRawBufferPointer, at i: Int) -> Bool {
        let slash = UInt8(ascii: "/")
        let dot = UInt8(ascii: ".")
        let n = p.count
        let c = p[i]
        if c == slash { return false }
        if c == dot {
            let next = i + 1 < n ? p[i + 1] : slash
            if next == slash { return false }
            if next == dot && (i + 2 == n || p[i + 2] == slash) { return false }
        }
        return true
    }

    /// Cleans a string path; `nil` when it climbs above the root.
    package static func clean(_ path: String) -> String? {
        var out: [UInt8] = []
        guard clean(Array(path.utf8), into: &out) else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    /// Joins a relative link target to the directory of `member` and cleans the result.
    package static func resolve(_ target: String, relativeTo member: String) -> String? {
        if target.hasPrefix("/") { return clean(target) }
        let dir = member.split(separator: "/", omittingEmptySubsequences: true).dropLast().joined(separator: "/")
        return clean(dir.isEmpty ? target : dir + "/" + target)
    }
}
