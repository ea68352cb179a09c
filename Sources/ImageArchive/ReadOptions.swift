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

    // The limits on references. The sizes above bound the bytes of each JSON member, but a small
    // member can refer to the same blob any number of times, and work done per reference (an
    // image's layers applied to its merged filesystem, one by one) multiplies. Each distinct blob
    // is decoded, hashed and counted once however often it is referred to; these bound what is
    // left, the references themselves. Going over one is a `malformedJSON` error naming the
    // member and the limit.

    /// The most layers one image may list (1,000). Docker's classic image store refuses an image
    /// of more than 125 layers ("max depth exceeded", moby's `maxLayerDepth`), but images built
    /// and run elsewhere (other builders, the containerd store) can have more, so this is eight
    /// times that: far above any real image. It bounds the cost of one image's merged
    /// filesystem, which applies a layer's table once per reference: at most this many times
    /// the largest layer's entries.
    public static let maximumLayersPerImage = 1_000
    /// The most layer references over all the images of an archive (100,000): a thousand
    /// images of 100 layers, shared base layers counted once per image. `imgtool verify` and
    /// `inspect` build each image's merged filesystem, so this bounds the work a small archive
    /// makes by listing the same layers in image after image.
    public static let maximumLayerReferences = 100_000
    /// The most image references over the whole archive (100,000): an image counts once for
    /// every `manifest.json` entry, and every `index.json` entry (through the indexes under it),
    /// that leads to it, since each of them adds its names to the image. A multi-platform image
    /// of 10 platforms under 100 tags makes 1,000; the indexes themselves are walked once each
    /// however many entries lead to them.
    public static let maximumImageReferences = 100_000

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
