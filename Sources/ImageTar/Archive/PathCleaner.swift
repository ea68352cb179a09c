/// Cleans tar entry names the way moby does (`path.Clean` of the name with leading `/` removed).
enum PathCleaner {
    /// Cleans `name` into `output`: no leading `/` or `./`, no `.` components, no doubled or
    /// trailing `/`, `..` applied.
    ///
    /// - Returns: `false` when a `..` would climb above the root.
    static func clean(_ name: [UInt8], into output: inout [UInt8]) -> Bool {
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
        name.withUnsafeBytes { p -> Int? in
            let slash = UInt8(ascii: "/")
            let dot = UInt8(ascii: ".")
            let n = p.count
            var i = 0
            while i < n {
                // At the start of a component.
                let c = p[i]
                if c == slash { return nil }
                if c == dot {
                    let next = i + 1 < n ? p[i + 1] : slash
                    if next == slash { return nil }
                    if next == dot && (i + 2 == n || p[i + 2] == slash) { return nil }
                }
                i += ByteScan.firstIndex(of: slash, in: UnsafeRawBufferPointer(rebasing: p[i...])) + 1
            }
            return n > 0 && p[n - 1] == slash ? n - 1 : n
        }
    }

    /// Cleans a string path; `nil` when it climbs above the root.
    static func clean(_ path: String) -> String? {
        var out: [UInt8] = []
        guard clean(Array(path.utf8), into: &out) else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    /// Joins a relative link target to the directory of `member` and cleans the result.
    static func resolve(_ target: String, relativeTo member: String) -> String? {
        if target.hasPrefix("/") { return clean(target) }
        let dir = member.split(separator: "/", omittingEmptySubsequences: true).dropLast().joined(separator: "/")
        return clean(dir.isEmpty ? target : dir + "/" + target)
    }
}
