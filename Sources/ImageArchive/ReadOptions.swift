/// What the archive reader keeps and reports, beyond what every read does (``ArchiveInput`` says
/// how the bytes are read).
public struct ReadOptions: Sendable {
    /// Which files of the layers are kept whole (none by default; the checks of `ImageVerify`
    /// name theirs in `CapturePolicy.verify`).
    public var capture: CapturePolicy
    /// Whether the first bytes of every regular file are read (ELF census, entrypoint checks).
    public var readFileHeads: Bool
    /// Called with the number of input bytes consumed so far, now and then (from the reading
    /// thread).
    public var progress: (@Sendable (Int64) -> Void)?

    /// The largest `manifest.json`, `index.json` or manifest read (1 MiB, as containers/image).
    public static let maximumManifestSize: Int64 = 1 << 20
    /// The largest image config read (4 MiB, as containers/image).
    public static let maximumConfigSize: Int64 = 4 << 20
    /// The most JSON kept in memory over the whole archive.
    public static let maximumRetainedJSON: Int64 = 64 << 20

    /// Creates options.
    /// - Parameters:
    ///   - capture: Files to keep whole.
    ///   - readFileHeads: Read the first bytes of regular files.
    ///   - progress: A progress callback.
    public init(capture: CapturePolicy = .none, readFileHeads: Bool = true, progress: (@Sendable (Int64) -> Void)? = nil) {
        self.capture = capture
        self.readFileHeads = readFileHeads
        self.progress = progress
    }
}
