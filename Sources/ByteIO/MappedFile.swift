/// A regular file's bytes mapped read-only into memory, for walking tar headers without a
/// system call per header.
///
/// Walking the headers of a 1 GiB archive with `pread(2)` costs one call and one copy of a few
/// KiB per header; through a mapping the kernel maps the file's cached pages in large batches on
/// the first touch, and only the header bytes themselves are ever read.
///
/// The pages a walk has touched count in the process's resident set until they are released
/// (``releasePages(in:)``) or unmapped.
///
/// - Important: If the file shrinks while it is mapped (another process truncates or rewrites
///   it), touching a page past its new end raises `SIGBUS`, which ends the process unless a
///   handler is installed. Keep a mapping only for the duration of one pass, and install a
///   handler that reports the file as truncated (the `imgtool` command does).
public final class MappedFile {
    /// The mapped bytes: the file from its first byte, as long as it was when mapped.
    public let bytes: UnsafeRawBufferPointer

    /// Maps `file`, which must be a regular file (``FileSource/isSeekableRegularFile``).
    ///
    /// The corresponding system calls are `fstat(fd)` and
    /// `mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)`.
    ///
    /// - Parameter file: The file; its own read position is not moved.
    /// - Returns: `nil` when the file is not a regular file, is empty, or cannot be mapped (the
    ///   caller reads it with `pread` instead).
    public init?(_ file: FileSource) {
        guard file.isSeekableRegularFile, file.fileDescriptor >= 0, let size = file.size, size > 0,
            size <= Int64(Int.max), let base = POSIX.mapReadOnly(file.fileDescriptor, Int(size))
        else { return nil }
        bytes = UnsafeRawBufferPointer(start: base, count: Int(size))
    }

    /// The mapped bytes from `offset` for up to `length` bytes, cut short at the end of the
    /// mapping (an archive whose file is shorter than its headers say).
    ///
    /// - Parameters:
    ///   - offset: The file offset of the first byte.
    ///   - length: How many bytes are wanted.
    /// - Returns: The bytes, possibly fewer than `length` (none when `offset` is past the end).
    public func bytes(from offset: Int64, length: Int64) -> UnsafeRawBufferPointer {
        let count = Int64(bytes.count)
        let start = max(0, min(offset, count))
        let end = max(0, length) >= count - start ? count : start + max(0, length)
        return UnsafeRawBufferPointer(rebasing: bytes[Int(start)..<Int(end)])
    }

    /// Takes the pages wholly inside `bytes`, a range of a mapping, out of the process's resident
    /// set (`madvise(MADV_DONTNEED)`), once a walk has passed them: the kernel maps a file's cached
    /// pages in large batches on the first touch, which would otherwise count the whole walked
    /// file in the process's memory. The file and the page cache are not touched; reading the
    /// range again maps it again.
    ///
    /// - Parameter bytes: Part of a ``bytes`` of some mapping.
    public static func releasePages(in bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let page = UInt(POSIX.pageSize)
        let start = (UInt(bitPattern: base) + page - 1) / page * page
        let end = (UInt(bitPattern: base) + UInt(bytes.count)) / page * page
        guard end > start, let address = UnsafeRawPointer(bitPattern: start) else { return }
        POSIX.dropPages(address, Int(end - start))
    }

    deinit {
        if let base = bytes.baseAddress { POSIX.unmap(base, bytes.count) }
    }
}
