import ByteIO

/// What the caller hands the archive reader: the bytes, and how they may be read.
///
/// The reader never finds out what it was given by downcasting: a stream is read front to back
/// on the calling thread; a file is read whole on a second thread while the calling thread
/// parses and hashes, or, where the caller asks and the file turns out to be a plain tar, by its
/// tar headers only.
public struct ArchiveInput {
    /// How a file is read.
    public enum Reading: Sendable, Equatable {
        /// Every byte, every digest checked: the file is read (and for gzip inflated) on a second
        /// thread while the calling thread parses, hashes and builds the tables.
        case whole
        /// Every byte, every digest checked, all on the calling thread.
        case wholeOnOneThread
        /// Tar headers only when the file is a plain (uncompressed) tar: entry data is stepped
        /// over, nothing is hashed, and ``ImageArchive/verified`` is `false`. A compressed file
        /// or a pipe has to be read anyway, and is then read ``whole``.
        ///
        /// `mapped` walks the headers through a read-only mapping of the file (``MappedFile``),
        /// large layers split between two threads, instead of one `pread` per header. A file that
        /// another process truncates while it is mapped raises `SIGBUS`: map only with a handler
        /// for that signal installed (`imgtool inspect` reports the file as truncated).
        case headersOnly(mapped: Bool)
    }

    package enum Bytes {
        case stream(any ByteSource)
        case file(FileSource)
    }

    package let bytes: Bytes
    /// How a file is read (a stream is always read whole, on the calling thread).
    public let reading: Reading
    /// What messages call the input: its path, `stdin`, or `input`.
    public let name: String
    package private(set) var tap: ((UnsafeRawBufferPointer) -> Void)?

    /// A stream of any kind, read front to back once on the calling thread.
    /// - Parameters:
    ///   - source: The archive's bytes.
    ///   - name: What messages call it.
    public static func stream(_ source: any ByteSource, name: String = "input") -> ArchiveInput {
        ArchiveInput(bytes: .stream(source), reading: .wholeOnOneThread, name: name)
    }

    /// An open file, a pipe or stdin (a ``FileSource``), read from its current position.
    /// - Parameters:
    ///   - file: The archive; the caller keeps it open until the read returns.
    ///   - reading: How to read it (default: ``Reading/whole``).
    ///   - name: What messages call it (default: the file's path, else `stdin`).
    public static func file(_ file: FileSource, reading: Reading = .whole, name: String? = nil) -> ArchiveInput {
        ArchiveInput(bytes: .file(file), reading: reading, name: name ?? file.path ?? "stdin")
    }

    /// Opens `path`, or stdin for `-` (whose pipe buffer is enlarged on Linux, for fewer reads).
    /// - Parameters:
    ///   - path: A file path, or `-`.
    ///   - reading: How to read it.
    /// - Throws: ``ArchiveError/io(path:underlying:)`` when the file cannot be opened.
    public static func open(_ path: String, reading: Reading = .whole) throws(ArchiveError) -> ArchiveInput {
        do {
            return .file(try FileSource.open(pathOrStdin: path), reading: reading, name: path == "-" ? "stdin" : path)
        } catch {
            throw .input(path, error)
        }
    }

    /// The same input, with `tap` shown every byte of it (compressed, as it is in the file), once
    /// and in order, on one thread: the one that reads the input (the second thread of a
    /// ``Reading/whole`` read). A tapped input is read whole, to its last byte, even past the
    /// end of the archive. `ship` cuts the file into chunks this way in the verifying pass.
    /// - Parameter tap: Called with each run of bytes read.
    public func tapped(by tap: @escaping (UnsafeRawBufferPointer) -> Void) -> ArchiveInput {
        var copy = self
        if case .headersOnly = reading { copy = ArchiveInput(bytes: bytes, reading: .whole, name: name) }
        copy.tap = tap
        return copy
    }

    private init(bytes: Bytes, reading: Reading, name: String) {
        self.bytes = bytes
        self.reading = reading
        self.name = name
    }
}
