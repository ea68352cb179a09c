import ByteIO
import Tar
import TestSupport

extension TS {
    /// Reads every entry of a tar stream (bodies skipped).
    static func entries(_ bytes: [UInt8], requiresEndMarker: Bool = true) throws -> [TarEntry] {
        let reader = TarReader(BufferSource(bytes), requiresEndMarker: requiresEndMarker)
        var out: [TarEntry] = []
        while let e = try reader.next() { out.append(e) }
        return out
    }

    /// Reads the current entry's body to its end.
    static func readBody(_ reader: TarReader, chunk: Int = 333) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reader.readBody(into: $0) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }
}
