import ByteIO
import ImageArchive
import OCI
import Tar

/// One file, directory or link of a ``MergedFilesystem``, as the image's container sees it.
///
/// A hardlink is resolved when the filesystem is built: its node carries the target's type,
/// attributes, ELF header and content, plus ``hardlinkTarget`` naming the path it was linked to.
public struct FilesystemNode: Sendable, Equatable {
    /// The absolute path (`/` for the root), with symlinks of the lookup resolved.
    public var path: String
    /// The last path component (`""` for the root).
    public var name: String
    /// The type (never `.hardlink` unless the link's target was missing).
    public var kind: TarEntry.Kind
    /// Permission bits.
    public var mode: UInt32
    /// Owner uid.
    public var uid: UInt32
    /// Owner gid.
    public var gid: UInt32
    /// Size in bytes (0 for directories and symlinks).
    public var size: Int64
    /// Modification time, seconds since the epoch.
    public var mtime: Int64
    /// The layer (1-based, bottom first) that last wrote this node; 0 for a directory no layer wrote.
    public var layer: Int
    /// A symlink's target as written.
    public var linkTarget: String?
    /// For a hardlink, the root-relative path it was linked to.
    public var hardlinkTarget: String?
    /// The ELF header of an ELF file.
    public var elf: ELFHeader?
    /// The `#!` line (without `#!`) of a script.
    public var shebang: String?
    /// Where the file's bytes were captured, if they were.
    public var content: ContentLocation?

    /// Whether this is a directory.
    public var isDirectory: Bool { kind == .directory }
    /// Whether this is a symlink.
    public var isSymlink: Bool { kind == .symlink }
    /// Whether this is a regular file (or a sparse one).
    public var isRegularFile: Bool { kind == .regular || kind == .sparse }
    /// Whether any execute bit is set.
    public var isExecutable: Bool { mode & 0o111 != 0 }
}

/// Where a captured file's bytes are: the layer that wrote them and the path there.
public struct ContentLocation: Sendable, Hashable {
    /// The layer, 1-based.
    public var layer: Int
    /// The cleaned, root-relative path in that layer's ``LayerTable/captured``.
    public var path: String
}

/// What looking up a path in a ``MergedFilesystem`` found.
public enum FileLookup: Sendable, Equatable {
    /// The path exists; the node's ``FilesystemNode/path`` is the resolved path.
    case found(FilesystemNode)
    /// A component does not exist: `missing` is the resolved path of the first missing component.
    case notFound(path: String, missing: String)
    /// A component that must be a directory is not one (`at` is its resolved path).
    case notADirectory(path: String, at: String)
    /// Symlinks loop, or more than ``MergedFilesystem/maximumSymlinks`` were followed; `at` is where it gave up.
    case symlinkLoop(path: String, at: String)

    /// The node, when found.
    public var node: FilesystemNode? {
        if case .found(let node) = self { return node }
        return nil
    }

    /// Why the path could not be found, in words (`nil` when found).
    public var reason: String? {
        switch self {
        case .found: nil
        case .notFound(let path, let missing):
            missing == path ? "\(path): no such file or directory" : "\(path): no such file or directory (\(missing) does not exist)"
        case .notADirectory(let path, let at): "\(path): not a directory (\(at) is not a directory)"
        case .symlinkLoop(let path, let at): "\(path): too many levels of symbolic links (at \(at))"
        }
    }
}
