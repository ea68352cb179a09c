/// What ``ArchivePacker``'s cache did in one pack: the layers it reused and compressed, and
/// anything that went wrong with the cache (which never fails the pack).
public struct PackCacheReport: Sendable, Equatable, Codable {
    /// The cache's folder.
    public var directory: String
    /// Layer members copied from the cache instead of compressed.
    public var hits: Int = 0
    /// Layer members looked for and compressed (not in the cache, or damaged there).
    public var misses: Int = 0
    /// Compressed bytes copied from the cache.
    public var bytesReused: Int64 = 0
    /// Tar bytes (layer data and padding) those members hold: the bytes not compressed.
    public var tarBytesReused: Int64 = 0
    /// Entries written to the cache by this pack.
    public var stored: Int = 0
    /// Entries removed to keep the cache within its size.
    public var evicted: Int = 0
    /// Entries found damaged (a bad trailer, or bytes that do not hash to it): each removed,
    /// its layer compressed instead. One line each.
    public var damaged: [String] = []
    /// Members whose cached member turned out, once the pass had hashed them, not to hold the
    /// bytes read (an `<id>/layer.tar` whose id now names other bytes, a blob whose bytes do not
    /// match its name): the output is then not the input's, and must not be kept.
    public var mismatches: [String] = []
    /// Why the cache could not be written, when it could not (a full disk, no permission):
    /// the pack itself goes on.
    public var warnings: [String] = []

    /// An empty report for the cache in `directory`.
    /// - Parameter directory: The cache's folder.
    public init(directory: String) {
        self.directory = directory
    }
}
