/// How an archive is read.
public struct ReadOptions: Sendable {
    /// Whether every member is hashed and every digest checked. When `false`, nothing is hashed;
    /// on a plain (uncompressed) regular file only tar headers and JSON are read, and entry data
    /// is skipped by seeking.
    public var verifyDigests: Bool
    /// Whether to read only tar headers (digests not verified) when the input turns out to be a
    /// plain, seekable regular file, and to verify everything otherwise (gzip, stdin, a pipe), as
    /// `imgtool inspect` does: a stream has to be read anyway, so checking it costs little, while
    /// a file can be walked header by header. ``ImageArchive/verified`` says which happened.
    public var headersOnlyWhenSeekable: Bool
    /// Which files of the layers are kept whole.
    public var capture: CapturePolicy
    /// Whether the first bytes of every regular file are read (ELF census, entrypoint checks).
    public var readFileHeads: Bool
    /// Whether an archive read whole from a file or stdin (a ``FileSource``) is read, and for
    /// gzip inflated, on a second thread while the calling thread parses, hashes and builds the
    /// tables (the default); `false` does everything on the calling thread.
    public var inflateOnSecondThread: Bool = true
    /// Whether a headers-only read (see ``headersOnlyWhenSeekable``) walks the layers through a
    /// read-only memory mapping of the file (``MappedFile``) instead of one `pread` per header,
    /// large layers split between two threads (`LayerScanner.scan(memory:)`). `false` by default,
    /// because a file that another process truncates while it is mapped raises `SIGBUS`: turn it
    /// on only with a handler for that signal installed (`imgtool inspect` reports the file as
    /// truncated, exit code 2). The mapping is released when the pass ends.
    public var mapsFileIntoMemory: Bool = false
    /// Called with the number of input bytes consumed so far, now and then.
    public var progress: (@Sendable (Int64) -> Void)?
    /// Called with the input's bytes as they are read (compressed, as they are in the file), each
    /// byte once and in order, on the thread that reads them (the inflating thread for gzip). While
    /// it is set, no data is skipped by seeking. The reader may stop before the end of the input
    /// (after the end-of-archive blocks); the bytes the tap saw are then a prefix of it. `ship`
    /// cuts the file into chunks this way in the verifying pass.
    public var inputTap: (@Sendable (UnsafeRawBufferPointer) -> Void)?

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
    ///   - headersOnlyWhenSeekable: Read tar headers only on a plain, seekable file.
    ///   - readFileHeads: Read the first bytes of regular files.
    ///   - progress: A progress callback.
    public init(
        verifyDigests: Bool = true, headersOnlyWhenSeekable: Bool = false, capture: CapturePolicy = .standard,
        readFileHeads: Bool = true, progress: (@Sendable (Int64) -> Void)? = nil
    ) {
        self.verifyDigests = verifyDigests
        self.headersOnlyWhenSeekable = headersOnlyWhenSeekable
        self.capture = capture
        self.readFileHeads = readFileHeads
        self.progress = progress
    }
}
