// Source: POSIX pax (IEEE Std 1003.1) ustar and pax formats; GNU tar's extensions as Go's
// archive/tar reads them (https://pkg.go.dev/archive/tar).
import ByteIO

/// One entry of a tar archive, with PAX and GNU extension headers already applied.
public struct TarEntry: Sendable, Equatable {
    /// What an entry is, from its typeflag.
    public enum Kind: Sendable, Equatable, Hashable {
        /// `0`, the old `\0`, and `7` (contiguous).
        case regular
        /// `1`: another name for a file earlier in the archive (or, in a layer, in a lower layer).
        case hardlink
        /// `2`.
        case symlink
        /// `3`.
        case characterDevice
        /// `4`.
        case blockDevice
        /// `5`, or `\0` with a name ending in `/`, or GNU's `D` (dump directory).
        case directory
        /// `6`.
        case fifo
        /// GNU's old sparse `S`, or a PAX entry with `GNU.sparse.*` records. Its data is not expanded.
        case sparse
        /// Any other typeflag; its data is skipped.
        case other(UInt8)

        /// The typeflag character as `ls -l` shows the type: `-`, `h`, `l`, `c`, `b`, `d`, `p`, `S`, `?`.
        public var letter: Character {
            switch self {
            case .regular: "-"
            case .hardlink: "h"
            case .symlink: "l"
            case .characterDevice: "c"
            case .blockDevice: "b"
            case .directory: "d"
            case .fifo: "p"
            case .sparse: "S"
            case .other: "?"
            }
        }
    }

    /// The entry's name as stored (after PAX `path`, GNU `L` and the ustar prefix), not cleaned.
    public var name: [UInt8]
    /// The type.
    public var kind: Kind
    /// Permission and mode bits (the low 12 bits of the mode field).
    public var mode: UInt32
    /// Owner user id.
    public var uid: Int64
    /// Owner group id.
    public var gid: Int64
    /// The file's size: for sparse files the real (expanded) size; 0 for links and directories.
    public var size: Int64
    /// How many bytes of data follow the header in the archive (before padding).
    public var dataSize: Int64
    /// Modification time, seconds since the epoch.
    public var mtime: Int64
    /// The link target of a symlink or hardlink (after PAX `linkpath` and GNU `K`).
    public var linkName: [UInt8]
    /// Extended attributes from PAX `SCHILY.xattr.*` records.
    public var xattrs: [String: [UInt8]]
    /// Byte offset of this entry's (first) header in the stream.
    public var headerOffset: Int64
    /// Device major and minor numbers, for device entries.
    public var deviceMajor: Int64
    /// See ``deviceMajor``.
    public var deviceMinor: Int64

    /// The name as a string (invalid UTF-8 repaired).
    public var path: String { String(decoding: name, as: UTF8.self) }
    /// The link target as a string.
    public var linkTarget: String { String(decoding: linkName, as: UTF8.self) }
}
