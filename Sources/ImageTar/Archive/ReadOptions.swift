/// How an archive is read.
public struct ReadOptions: Sendable {
    /// Whether every member is hashed and every digest checked. When `false` (inspect on a plain,
    /// seekable file), only tar headers and JSON are read and layer bodies are skipped by seeking.
    public var verifyDigests: Bool
    /// Which files of the layers are kept whole.
    public var capture: CapturePolicy
    /// Whether the first bytes of every regular file are read (ELF census, entrypoint checks).
    public var readFileHeads: Bool
    /// Called with the number of input bytes consumed so far, now and then.
    public var progress: (@Sendable (Int64) -> Void)?

    /// The largest `manifest.json`, `index.json` or manifest read (1 MiB, as containers/image).
    public static let maximumManifestSize: Int64 = 1 << 20
    /// The largest image config read (4 MiB, as containers/image).
    public static let maximumConfigSize: Int64 = 4 << 20
    /// The most JSON kept in memory over the whole archive.
    public static let maximumRetainedJSON: Int64 = 64 << 20

    /// Creates options.
    /// - Parameters:
    ///   - verifyDigests: Hash everything and check every digest (the default).
    ///   - capture: Files to keep whole.
    ///   - readFileHeads: Read the first bytes of regular files.
    ///   - progress: A progress callback.
    public init(
        verifyDigests: Bool = true, capture: CapturePolicy = .standard, readFileHeads: Bool = true,
        progress: (@Sendable (Int64) -> Void)? = nil
    ) {
        self.verifyDigests = verifyDigests
        self.capture = capture
        self.readFileHeads = readFileHeads
        self.progress = progress
    }
}
