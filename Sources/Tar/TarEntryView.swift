import ByteIO

/// One entry's header as ``TarReader/nextView()`` decodes it, without allocating anything: the
/// name and link target are views of the reader's own storage.
///
/// Everything ``TarEntry`` holds but the extended attributes, of which only their presence is
/// told. Walking the tens of thousands of entries of a `node_modules` layer this way costs no
/// memory allocation per entry.
public struct TarEntryView {
    /// The entry's name as stored (after PAX `path`, GNU `L` and the ustar prefix), not cleaned;
    /// valid until the reader's next call to ``TarReader/next()`` or ``TarReader/nextView()``.
    public var name: UnsafeBufferPointer<UInt8>
    /// The link target of a hardlink or symlink, as stored; valid as long as ``name``.
    public var linkName: UnsafeBufferPointer<UInt8>
    /// The type.
    public var kind: TarEntry.Kind
    /// Permission bits.
    public var mode: UInt32
    /// Owner uid.
    public var uid: Int64
    /// Owner gid.
    public var gid: Int64
    /// The file's size (the real size of a sparse file).
    public var size: Int64
    /// The bytes of data that follow the header in the stream.
    public var dataSize: Int64
    /// Modification time, seconds since the epoch.
    public var mtime: Int64
    /// Whether PAX records give the entry extended attributes (`SCHILY.xattr.*`).
    public var hasXattrs: Bool
    /// The stream offset of the entry's first header (its PAX or GNU extension header, if any).
    public var headerOffset: Int64
    /// Device numbers of a character or block device.
    public var deviceMajor: Int64
    public var deviceMinor: Int64
}
