import ByteIO

/// Which files of a layer are kept whole while the layer streams past, for later commands.
///
/// Paths are matched on cleaned, root-relative paths (`etc/os-release`), exactly or by suffix.
public struct CapturePolicy: Sendable {
    /// Paths captured when they match exactly.
    public var exact: Set<String>
    /// Path suffixes (after a `/`, or the whole path) captured wherever they occur.
    public var suffixes: [String]
    /// The largest file captured; larger ones are recorded but not kept.
    public var maximumSize: Int64

    /// Creates a policy.
    /// - Parameters:
    ///   - exact: Exact paths.
    ///   - suffixes: Suffixes such as `node_modules/@prisma/client/package.json`.
    ///   - maximumSize: The size limit per file.
    public init(exact: Set<String> = [], suffixes: [String] = [], maximumSize: Int64 = 1 << 20) {
        self.exact = exact
        self.suffixes = suffixes
        self.maximumSize = maximumSize
        exactBytes = Set(exact.map { Array($0.utf8) })
        exactLengths = Set(exactBytes.map(\.count))
        suffixBytes = suffixes.map { Array($0.utf8) }
    }

    private var exactBytes: Set<[UInt8]>
    /// The lengths of the exact paths: most paths are ruled out by length, without hashing.
    private var exactLengths: Set<Int>
    private var suffixBytes: [[UInt8]]

    /// Nothing.
    public static let none = CapturePolicy()

    /// This policy plus more exact paths, captured up to `maximumSize`.
    /// - Parameters:
    ///   - paths: Cleaned paths.
    ///   - maximumSize: The new size limit, if larger.
    public func adding(paths: [String], maximumSize: Int64) -> CapturePolicy {
        CapturePolicy(exact: exact.union(paths), suffixes: suffixes, maximumSize: max(self.maximumSize, maximumSize))
    }

    /// Whether a cleaned path is to be captured.
    func matches(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
        if exactBytes.isEmpty && suffixBytes.isEmpty { return false }
        for s in suffixBytes where path.count >= s.count {
            let offset = path.count - s.count
            if offset > 0 && path[offset - 1] != UInt8(ascii: "/") { continue }
            let tail = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: path[offset...]))
            if s.withUnsafeBytes({ ByteScan.equal($0, tail) }) { return true }
        }
        return exactLengths.contains(path.count) && exactBytes.contains(Array(path))
    }
}
