import ImageArchive

/// How `push` compresses and uploads, and whom it tells.
public struct PushOptions: Sendable {
    /// The gzip level of layers compressed on the way: 3, which on the benchmark image stores
    /// within 1.5% of skopeo's gzip (Go's) in less time; pack's 6 is 5% smaller and takes twice
    /// as long on two cores (the README's measurements).
    public var level: Int32 = 3
    /// Threads that compress (`nil`: one per processor); the blobs do not depend on it.
    public var threads: Int?
    /// The bytes of one `PATCH` (8 MiB; raised to the registry's `OCI-Chunk-Min-Length`).
    public var chunkSize: Int = 8 << 20
    /// Repositories of the same registry to mount blobs from (`--from`).
    public var mountFrom: [String] = []
    /// What the reader keeps (the checks' capture policy) and its progress callback.
    public var read = ReadOptions()
    /// Where events go.
    public var events = PushEvents()

    /// Default options.
    public init() {}
}

/// What a push reports as it goes, from the reading thread.
public struct PushEvents: Sendable {
    /// A blob member starts: its name and size in the archive.
    public var blobStarted: @Sendable (String, Int64) -> Void = { _, _ in }
    /// A blob is in the registry (sent, found or mounted).
    public var blobDone: @Sendable (PushedBlob) -> Void = { _ in }

    /// No events.
    public init() {}
}
