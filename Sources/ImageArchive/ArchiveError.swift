import ByteIO
import Codec
import Gzip
import OCI
import Tar
import Zstd

/// Everything that can go wrong while reading an image archive, each case locating the failure.
///
/// `member` names the archive member (a tar path such as `blobs/sha256/ab12…` or
/// `3f2a…/layer.tar`), `nil` for the archive itself; `offset` is a byte offset in the
/// (uncompressed) tar stream that the member or archive forms. Messages name the subject first,
/// then what was expected and what was found, after containers/image and go-containerregistry.
public enum ArchiveError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: - Input
    /// The input named `path` (`stdin` for `-`) could not be opened or read.
    case io(path: String, underlying: ByteIOError)
    /// The archive is compressed with something imgtool does not read.
    case unsupportedCompression(CompressionFormat)
    /// The first bytes are neither a tar archive nor a compression format.
    case notAnArchive(found: String)
    /// A tar archive, but no image: no `manifest.json`, `index.json` or `repositories`.
    case notAnImage(reason: String)

    // MARK: - Tar structure
    /// The archive's tar stream (or a layer's, its member named in the error) is cut short or
    /// damaged.
    case tar(TarError)
    /// A gzip stream (the whole archive when `member` is nil, else a compressed layer) that failed.
    case gzip(member: String?, GzipError)
    /// A zstd stream (the whole archive when `member` is nil, else a compressed layer) that failed.
    case zstd(member: String?, ZstdError)
    /// A layer blob compressed with a format imgtool does not read.
    case unsupportedLayerCompression(member: String, format: CompressionFormat)

    // MARK: - Image format
    /// A JSON member that is not what its role requires.
    case malformedJSON(member: String, reason: String)
    /// A JSON member larger than imgtool reads for its role.
    case tooLarge(member: String, size: Int64, limit: Int64)
    /// A member that another one references, absent from the archive.
    case missingMember(member: String, referencedBy: String)
    /// Link members (`layer.tar` symlinks) that loop or go nowhere.
    case badMemberLink(member: String, target: String)
    /// `manifest.json` (or a manifest) and the config disagree on the number of layers.
    case layerCountMismatch(image: String, manifestLayers: Int, configDiffIDs: Int)
    /// A member used as a layer that is not a tar archive.
    case notALayer(member: String, referencedBy: String)

    // MARK: - Integrity
    /// A blob whose SHA-256 is not the one its name or descriptor gives.
    case digestMismatch(member: String, expected: Digest, found: Digest, bytes: Int64)
    /// A blob whose size is not the one its descriptor gives.
    case sizeMismatch(member: String, expected: Int64, found: Int64)
    /// A layer whose uncompressed SHA-256 is not the config's `rootfs.diff_ids` entry.
    case diffIDMismatch(member: String, layer: Int, expected: Digest, found: Digest)

    // MARK: - Selection
    /// No image in the archive matches `--platform` or `--image`.
    case noMatchingImage(selection: String, available: [String])

    /// What kind of failure this is; the CLI maps kinds to exit codes.
    public var kind: Kind {
        switch self {
        case .io: .io
        case .unsupportedCompression, .unsupportedLayerCompression: .unsupported
        case .tar(let t):
            switch t {
            case .truncated: .truncated
            case .unsafePath: .malformed
            case .badHeaderChecksum, .badHeaderField, .badPAXRecord: .corrupt
            }
        case .gzip(_, let g):
            if case .truncated = g { .truncated } else { .corrupt }
        case .zstd(_, let z):
            switch z {
            case .truncated: .truncated
            case .windowTooLarge: .unsupported
            default: .corrupt
            }
        case .digestMismatch, .sizeMismatch, .diffIDMismatch:
            .corrupt
        case .notAnArchive, .notAnImage, .malformedJSON, .tooLarge, .missingMember, .badMemberLink,
            .layerCountMismatch, .notALayer:
            .malformed
        case .noMatchingImage: .selection
        }
    }

    /// The classes of failure, each with its own exit code in the CLI.
    public enum Kind: String, Sendable, Codable {
        /// The input cannot be opened or read.
        case io
        /// The archive ends early: an interrupted download or copy.
        case truncated
        /// Bytes are damaged: a checksum, CRC or digest does not match.
        case corrupt
        /// Not a (well-formed) image archive.
        case malformed
        /// A compression format imgtool does not read (or a zstd frame whose window is over the limit).
        case unsupported
        /// No image matches the selection.
        case selection
    }

    /// The message of ``unsupportedCompression(_:)`` with `advice` on what to do instead: the
    /// CLI's names the archive and the command run ("decompress it first and pipe it in, e.g.
    /// `zstd -dc app.tar.zst | imgtool verify -`"); ``description`` names just the tool.
    public static func unsupportedCompressionMessage(_ format: CompressionFormat, advice: String) -> String {
        "the archive is \(format.rawValue)-compressed, which imgtool does not read: \(advice)"
    }

    /// The input named `path` (or `-`, stdin) could not be opened or read: an
    /// ``io(path:underlying:)`` whose message names the path once.
    package static func input(_ path: String, _ e: ByteIOError) -> ArchiveError {
        .io(path: path == "-" ? "stdin" : path, underlying: e)
    }

    /// An error of a read of `input`, located: a lower layer's error wrapped whole (``tar(_:)``,
    /// ``io(path:underlying:)``, ``gzip(member:_:)``, ``zstd(member:_:)``); an `ArchiveError`, or an error of a type
    /// this module does not know (a caller's own source failing), as it is.
    /// - Parameters:
    ///   - error: What a stage of the read threw.
    ///   - input: What messages call the input (a path, `stdin`).
    package static func wrapping(_ error: any Error, input: String) -> any Error {
        switch error {
        case let e as TarError: ArchiveError.tar(e)
        case let e as ByteIOError: ArchiveError.input(input, e)
        case let e as GzipError: ArchiveError.gzip(member: nil, e)
        case let e as ZstdError: ArchiveError.zstd(member: nil, e)
        default: error
        }
    }

    /// Whether this error is a verdict on the input as a whole (not an archive, not an image,
    /// a compression imgtool does not read), so that a message names the input in front of it.
    /// Errors located in the stream ("at byte 512 of the archive", a member) are not: they read
    /// the same for a file and for stdin.
    public var isAboutTheWholeInput: Bool {
        switch self {
        case .unsupportedCompression, .notAnArchive, .notAnImage: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .io(let path, let underlying):
            return "\(path): \(underlying.withoutPath)"
        case .unsupportedCompression(let format):
            let tool = format.decompressCommand.map { "`\($0)`" } ?? "the right tool"
            return Self.unsupportedCompressionMessage(
                format, advice: "decompress it first and pipe it in, e.g. with \(tool) (or recompress it with `gzip` or `zstd`)")
        case .notAnArchive(let found):
            return "not an image archive: expected a tar archive (optionally gzip- or zstd-compressed), found \(found)"
        case .notAnImage(let reason):
            return "not an image archive: \(reason)"
        case .tar(let error):
            return "\(error)"
        case .gzip(let member, let error):
            return member.map { "\($0): \(error)" } ?? "\(error)"
        case .zstd(let member, let error):
            return member.map { "\($0): \(error)" } ?? "\(error)"
        case .unsupportedLayerCompression(let member, let format):
            return
                "\(member): layer is \(format.rawValue)-compressed, which imgtool does not read: export it with gzip or zstd layers (e.g. `docker buildx build --output type=docker,compression=gzip`)"
        case .malformedJSON(let member, let reason):
            return "\(member): \(reason)"
        case .tooLarge(let member, let size, let limit):
            return "\(member): \(size) bytes, more than the \(limit) bytes imgtool reads for it"
        case .missingMember(let member, let referencedBy):
            return "\(member): missing from the archive, but \(referencedBy) refers to it"
        case .badMemberLink(let member, let target):
            return "\(member): link to '\(target)' leads to no regular member (missing, or a loop)"
        case .layerCountMismatch(let image, let manifestLayers, let configDiffIDs):
            return "\(image): inconsistent layer count: \(manifestLayers) layers in the manifest, \(configDiffIDs) diff_ids in the config"
        case .notALayer(let member, let referencedBy):
            return "\(member): \(referencedBy) uses it as a layer, but it is not a tar archive"
        case .digestMismatch(let member, let expected, let found, let bytes):
            return "\(member): digest mismatch: expected \(expected), got \(found) after \(bytes) bytes"
        case .sizeMismatch(let member, let expected, let found):
            return "\(member): size mismatch: the descriptor says \(expected) bytes, the member has \(found)"
        case .diffIDMismatch(let member, let layer, let expected, let found):
            return "\(member): layer \(layer) diff_id mismatch: the config expects \(expected), the uncompressed layer is \(found)"
        case .noMatchingImage(let selection, let available):
            let list = available.isEmpty ? "none" : available.joined(separator: ", ")
            return "no image matches \(selection); the archive holds: \(list)"
        }
    }
}
