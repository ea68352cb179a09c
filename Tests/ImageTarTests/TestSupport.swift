import Foundation
import Gzip
import Testing

@testable import ImageArchive
@testable import ImageVerify
@testable import Tar
import OCI
import ByteIO
import Codec

#if canImport(Glibc)
import Glibc
#endif

// Shared helpers of the ImageTar / imgtool test suite. Everything lives in the `TS` namespace so
// that nothing collides with the file-private helpers of other test files.

enum TS {
    // MARK: - Paths

    /// The repository root: three levels above this file (Tests/ImageTarTests/TestSupport.swift).
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let fixturesDir = repoRoot.appendingPathComponent("Tests/Fixtures")

    /// Docker-written archives, read in place (never copied).
    static let realDir = repoRoot.appendingPathComponent("../shared/fixtures/real").standardizedFileURL

    static func fixture(_ name: String) -> String { fixturesDir.appendingPathComponent(name).path }
    static func real(_ name: String) -> String { realDir.appendingPathComponent(name).path }

    /// The built `imgtool` executable: next to the test bundle (the test target depends on the
    /// executable, so it is built with it), else `.build/debug/imgtool`.
    static let imgtool: String = {
        var candidates: [URL] = []
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("imgtool"))
        if let exe = Bundle.main.executableURL {
            candidates.append(exe.deletingLastPathComponent().appendingPathComponent("imgtool"))
            candidates.append(exe.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("imgtool"))
        }
        let arg0 = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
        candidates.append(arg0.deletingLastPathComponent().appendingPathComponent("imgtool"))
        // `swift test` runs `<bin>/imgtoolPackageTests.xctest`; walk up from it.
        var dir = arg0.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("imgtool"))
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(repoRoot.appendingPathComponent(".build/debug/imgtool"))
        for c in candidates {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: c.path, isDirectory: &isDir), !isDir.boolValue,
                FileManager.default.isExecutableFile(atPath: c.path)
            {
                return c.path
            }
        }
        return repoRoot.appendingPathComponent(".build/debug/imgtool").path
    }()

    // MARK: - Temp dirs

    /// A fresh directory, unique to the caller; removed by `cleanup()`.
    struct TempDir {
        let url: URL
        init() throws {
            url = FileManager.default.temporaryDirectory
                .appendingPathComponent("imgtool-tests-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        func cleanup() { try? FileManager.default.removeItem(at: url) }
    }

    // MARK: - Processes

    struct ProcessResult {
        var status: Int32
        var stdoutData: Data
        var stderrData: Data
        var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
        var stderr: String { String(decoding: stderrData, as: UTF8.self) }
    }

    /// Runs `executable` with `arguments`; stdout and stderr go to temp files (no pipe deadlock).
    static func run(
        _ executable: String, _ arguments: [String], stdinPath: String? = nil, currentDirectory: String? = nil,
        environment: [String: String]? = nil
    ) throws -> ProcessResult {
        let tmp = try TempDir()
        defer { tmp.cleanup() }
        let outPath = tmp.path("stdout")
        let errPath = tmp.path("stderr")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardOutput = out
        p.standardError = err
        if let stdinPath {
            p.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdinPath))
        } else {
            p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        }
        if let currentDirectory { p.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        if let environment { p.environment = environment }
        try p.run()
        p.waitUntilExit()
        try out.close()
        try err.close()
        let o = try Data(contentsOf: URL(fileURLWithPath: outPath))
        let e = try Data(contentsOf: URL(fileURLWithPath: errPath))
        return ProcessResult(status: p.terminationStatus, stdoutData: o, stderrData: e)
    }

    /// Runs a tool found on PATH (`/usr/bin/env tool ...`).
    static func tool(_ name: String, _ arguments: [String], currentDirectory: String? = nil) throws -> ProcessResult {
        try run("/usr/bin/env", [name] + arguments, currentDirectory: currentDirectory)
    }

    /// Runs `python3 -c script args...` and returns stdout; fails the test on a non-zero exit.
    static func python(_ script: String, _ arguments: [String] = []) throws -> String {
        let r = try tool("python3", ["-c", script] + arguments)
        #expect(r.status == 0, "python3 failed: \(r.stderr)")
        return r.stdout
    }

    static func imgtool(_ arguments: [String], stdinPath: String? = nil) throws -> ProcessResult {
        try run(imgtool, arguments, stdinPath: stdinPath, currentDirectory: repoRoot.path)
    }

    // MARK: - Files

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""
        for b in bytes {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 15)])
        }
        return s
    }

    /// Deterministic pseudo-random bytes (xorshift64*).
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            if i % 8 == 0 {
                state ^= state >> 12
                state ^= state << 25
                state ^= state >> 27
            }
            out[i] = UInt8(truncatingIfNeeded: (state &* 0x2545_F491_4F6C_DD1D) >> (UInt64(i % 8) * 8))
        }
        return out
    }

    static func digest(_ s: String) -> Digest { try! Digest(parsing: s) }

    /// `app:1.0` for `docker.io/library/app:1.0`, as imgtool shows tags.
    static func familiar(_ tag: String) -> String {
        if tag.hasPrefix("docker.io/library/") { return String(tag.dropFirst("docker.io/library/".count)) }
        if tag.hasPrefix("docker.io/") { return String(tag.dropFirst("docker.io/".count)) }
        return tag
    }

    // MARK: - Tar construction (hand-built headers)

    enum Magic { case ustar, gnu, v7 }

    /// One 512-byte header with a correct checksum (unless `checksumOverride`).
    static func header(
        name: String, typeflag: UInt8 = UInt8(ascii: "0"), size: Int64 = 0, mode: Int64 = 0o644, uid: Int64 = 0,
        gid: Int64 = 0, mtime: Int64 = 1_704_067_200, linkName: String = "", magic: Magic = .ustar, prefix: String = "",
        devMajor: Int64 = 0, devMinor: Int64 = 0, rawName: [UInt8]? = nil,
        fields: [(Int, [UInt8])] = [], checksumOverride: String? = nil
    ) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int, max: Int) {
            for (i, c) in bytes.prefix(max).enumerated() { b[offset + i] = c }
        }
        func octal(_ v: Int64, at offset: Int, width: Int) {
            var s = String(v, radix: 8)
            while s.count < width - 1 { s = "0" + s }
            put(Array(s.utf8), at: offset, max: width - 1)
        }
        put(rawName ?? Array(name.utf8), at: 0, max: 100)
        octal(mode, at: 100, width: 8)
        octal(uid, at: 108, width: 8)
        octal(gid, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(mtime, at: 136, width: 12)
        b[156] = typeflag
        put(Array(linkName.utf8), at: 157, max: 100)
        switch magic {
        case .ustar:
            put(Array("ustar\u{0}00".utf8), at: 257, max: 8)
        case .gnu:
            put(Array("ustar  \u{0}".utf8), at: 257, max: 8)
        case .v7:
            break
        }
        if magic != .v7 {
            octal(devMajor, at: 329, width: 8)
            octal(devMinor, at: 337, width: 8)
            put(Array(prefix.utf8), at: 345, max: 155)
        }
        for (offset, bytes) in fields { put(bytes, at: offset, max: bytes.count) }
        // Checksum: sum with the field as spaces, written as 6 octal digits, NUL, space.
        for i in 148..<156 { b[i] = 0x20 }
        let sum = b.reduce(0) { $0 + Int($1) }
        var s = String(sum, radix: 8)
        while s.count < 6 { s = "0" + s }
        put(Array((checksumOverride ?? s).utf8), at: 148, max: 6)
        if checksumOverride == nil {
            b[154] = 0
            b[155] = 0x20
        }
        return b
    }

    static func checksumOf(_ header: [UInt8]) -> Int64 {
        var sum: Int64 = 0
        for (i, c) in header.enumerated() { sum += (148..<156).contains(i) ? 0x20 : Int64(c) }
        return sum
    }

    /// Data padded to a multiple of 512.
    static func padded(_ data: [UInt8]) -> [UInt8] {
        data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    /// A header followed by its padded data.
    static func entry(_ header: [UInt8], _ data: [UInt8] = []) -> [UInt8] { header + padded(data) }

    /// A regular file entry.
    static func file(_ name: String, _ content: String, magic: Magic = .ustar) -> [UInt8] {
        let data = Array(content.utf8)
        return entry(header(name: name, size: Int64(data.count), magic: magic), data)
    }

    static let endMarker = [UInt8](repeating: 0, count: 1024)

    /// PAX records `"%d key=value\n"`, the length counting itself.
    static func paxRecords(_ records: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (k, v) in records {
            let body = Array(" \(k)=".utf8) + v + [0x0a]
            var n = body.count + 1
            while String(n).utf8.count + body.count != n { n += 1 }
            out += Array(String(n).utf8) + body
        }
        return out
    }

    static func paxHeader(_ records: [(String, String)], typeflag: Character = "x", name: String = "PaxHeaders/x") -> [UInt8] {
        let data = paxRecords(records.map { ($0.0, Array($0.1.utf8)) })
        return entry(header(name: name, typeflag: UInt8(ascii: typeflag.unicodeScalars.first!), size: Int64(data.count)), data)
    }

    /// Base-256 encoding of `value` in a field of `width` bytes.
    static func base256(_ value: Int64, width: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width)
        var v = value
        for i in stride(from: width - 1, through: 0, by: -1) {
            out[i] = UInt8(truncatingIfNeeded: v)
            v >>= 8  // arithmetic: negative values keep their 0xff sign bytes
        }
        out[0] |= 0x80
        return out
    }

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

/// A ``ByteSource`` wrapper that counts the bytes read and those skipped.
final class CountingByteSource: ByteSource {
    private var inner: any ByteSource
    private(set) var bytesRead: Int64 = 0
    private(set) var bytesSkipped: Int64 = 0
    private(set) var readCalls = 0

    init(_ inner: any ByteSource) { self.inner = inner }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        readCalls += 1
        let n = try inner.read(into: buffer)
        bytesRead += Int64(n)
        return n
    }

    func skip(_ count: Int64) throws -> Int64 {
        let n = try inner.skip(count)
        bytesSkipped += n
        return n
    }
}

/// A source that hands out at most `chunk` bytes per read (short reads must not matter).
struct DribbleSource: ByteSource {
    var inner: BufferSource
    let chunk: Int
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(chunk, buffer.count)
        return inner.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n]))
    }
    mutating func skip(_ count: Int64) throws -> Int64 {
        // Read and discard, as a pipe would.
        var done: Int64 = 0
        var scratch = [UInt8](repeating: 0, count: 1000)
        while done < count {
            let want = Int(min(Int64(scratch.count), count - done))
            let n = scratch.withUnsafeMutableBytes { inner.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want])) }
            if n == 0 { break }
            done += Int64(n)
        }
        return done
    }
}

// MARK: - fixtures.json

struct FixtureFacts: Decodable, Sendable {
    struct Image: Decodable, Sendable {
        var tags: [String]?
        var refName: String?
        var platform: String?
        var configDigest: String?
        var manifestDigest: String?
        var present: Bool?
        var attestationFor: String?
        var layers: [Layer]?
    }

    struct Layer: Decodable, Sendable {
        var diffID: String?
        var actualDiffID: String?
        var entries: Int?
        var size: Int64?
        var path: String?
        var digest: String?
        var mediaType: String?
        var compressedSize: Int64?
    }

    var file: String
    var layout: String
    var compression: String
    var fileSize: Int
    var sha256: String
    var expect: String
    var members: Int?
    var images: [Image]?
    var manifestJson: [Image]?
    var errorDetail: String?
    var cutAt: Int64?
    var manifestLayers: Int?
    var configDiffIDs: Int?

    /// The images imgtool shows (not attestations, not manifests whose blobs are absent).
    var shownImages: [Image] {
        (images ?? []).filter { $0.attestationFor == nil && $0.present != false }
    }

    static let all: [FixtureFacts] = {
        let data = try! Data(contentsOf: TS.fixturesDir.appendingPathComponent("fixtures.json"))
        return try! JSONDecoder().decode([FixtureFacts].self, from: data)
    }()

    static func named(_ file: String) -> FixtureFacts { all.first { $0.file == file }! }

    static var okFiles: [String] { all.filter { $0.expect == "ok" }.map(\.file) }
}
