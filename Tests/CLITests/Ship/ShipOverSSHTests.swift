import Foundation
import TestSupport
import Testing

/// `imgtool ship` against a real OpenSSH server on loopback (see ``SSHTestServer``), through the
/// built binary, with byte counts from both imgtool's `--json` and a counting proxy.
///
/// The suites are in the extensions, one concern a file (ShipOverSSHTests+*.swift); here, the
/// helpers they share. `.serialized` holds for the nested suites too: one server and one
/// transfer at a time, as the byte counts and the timings assume.
@Suite(.serialized) struct ShipOverSSHTests {
    struct Summary: Decodable {
        struct Destination: Decodable {
            var ok: Bool
            var error: String?
            var remotePath: String?
            var sha256: String?
            var alreadyPresent: Bool?
            var replaced: Bool?
            var bytesSent: Int64?
            var bytesSkipped: Int64?
            var chunks: Int?
            var chunksSent: Int?
            var chunksSkipped: Int?
            var chunksResent: Int?
            var chunksReused: Int?
            var loaded: [String]?
            var then: Then?
        }
        struct Then: Decodable {
            var command: String
            var status: Int32
        }
        var size: Int64
        var sha256: String
        var chunks: Int
        var verified: Bool
        var checksPassed: Int?
        var verdictRecordedBy: String?
        var destinations: [Destination]
    }

    static func summary(_ r: TS.ProcessResult) throws -> Summary {
        try JSONDecoder().decode(Summary.self, from: r.stdoutData)
    }

    /// `size` random bytes in a new file.
    static func randomFile(_ dir: TS.TempDir, _ name: String, size: Int) throws -> String {
        let path = dir.path(name)
        let r = try TS.run("/bin/sh", ["-c", "head -c \(size) /dev/urandom > \"$0\"", path])
        #expect(r.status == 0)
        return path
    }

    static func sha256(_ path: String) throws -> String {
        try TS.python("import hashlib,sys;print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())", [path])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func chunkFiles(_ remote: String) -> [String: Int] {
        let dir = remote + "/.imgtool/chunks"
        var out: [String: Int] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where !name.hasPrefix(".") {
            let size = (try? FileManager.default.attributesOfItem(atPath: dir + "/" + name)[.size] as? Int) ?? -1
            out[name] = size
        }
        return out
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}
