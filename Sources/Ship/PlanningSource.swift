import Gzip

/// A ``Gzip/ByteSource`` that hands every byte it passes on to a ``ChunkPlanner``, so that the
/// verifying read of an archive also cuts it into chunks: one pass over the file for both.
///
/// Skipping reads and discards (every byte must be planned), so a plain tar is read in full.
public final class PlanningSource<Base: ByteSource>: ByteSource {
    private var base: Base
    /// The planner fed with every byte read.
    public let planner: ChunkPlanner

    /// Wraps `base`, feeding `planner`.
    public init(_ base: Base, planner: ChunkPlanner) {
        self.base = base
        self.planner = planner
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try base.read(into: buffer)
        if n > 0 { planner.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
        return n
    }

    /// Reads everything that is left, so the plan covers the whole file (an archive's reader may
    /// stop after the end-of-archive blocks).
    public func drain() throws {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { scratch.deallocate() }
        while try read(into: scratch) > 0 {}
    }
}
