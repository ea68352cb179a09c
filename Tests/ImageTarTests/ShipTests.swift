import Foundation
import Testing

/// `imgtool ship` against a real OpenSSH server on loopback (see ``SSHTestServer``), through the
/// built binary, with byte counts from both imgtool's `--json` and a counting proxy.
@Suite(.serialized) struct ShipTests {
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

    // MARK: - A first ship, and the same again

    @Test func freshShipPublishesTheFileAndItsChecksumThenSkipsWhenPresent() throws {
        let server = try SSHTestServer()
        defer { server.stop() }
        let archive = TS.fixture("prisma-ok-debian-amd64.tar")
        let remote = server.remote("maia")
        let r = try server.imgtool(["ship", "--json", archive, "ship:\(remote)"])
        #expect(r.status == 0, "\(r.stderr)")
        let s = try Self.summary(r)
        let hex = try Self.sha256(archive)
        #expect(s.verified)
        #expect(s.sha256 == "sha256:" + hex)
        let d = try #require(s.destinations.first)
        #expect(d.ok && d.alreadyPresent == false)
        #expect(d.bytesSent == s.size && d.bytesSkipped == 0 && d.chunksSent == s.chunks)
        #expect(try TS.bytes(remote + "/prisma-ok-debian-amd64.tar") == TS.bytes(archive))
        #expect(try String(contentsOfFile: remote + "/prisma-ok-debian-amd64.tar.sha256", encoding: .utf8)
            == "\(hex)  prisma-ok-debian-amd64.tar\n")
        // `sha256sum -c` accepts the checksum file as written.
        let check = try TS.run("/bin/sh", ["-c", "cd \"$0\" && sha256sum -c prisma-ok-debian-amd64.tar.sha256", remote])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(!Self.exists(remote + "/.imgtool/chunks"), "staged chunks are removed after success")
        // What stays is the archive's chunk index (--keep 1), for the next ship to reuse from.
        let kept = try FileManager.default.contentsOfDirectory(atPath: remote + "/.imgtool/kept")
        #expect(kept.count == 1)
        let index = try String(contentsOfFile: remote + "/.imgtool/kept/" + kept[0], encoding: .utf8)
        #expect(index.hasPrefix("\(hex) prisma-ok-debian-amd64.tar\n"))
        #expect(index.split(separator: "\n").count == 1 + s.chunks)

        let again = try server.imgtool(["ship", archive, "ship:\(remote)"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("is already there"))
        #expect(again.stdout.contains("nothing sent"))
        let json = try Self.summary(try server.imgtool(["ship", "--json", archive, "ship:\(remote)"]))
        #expect(json.destinations[0].alreadyPresent == true && json.destinations[0].bytesSent == 0)
        #expect(!Self.exists(remote + "/.imgtool/chunks"), "checking leaves nothing behind")

        // --keep 0 leaves nothing at all.
        let bare = server.remote("bare")
        let k0 = try server.imgtool(["ship", "--keep", "0", archive, "ship:\(bare)"])
        #expect(k0.status == 0, "\(k0.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: bare).sorted()
            == ["prisma-ok-debian-amd64.tar", "prisma-ok-debian-amd64.tar.sha256"])
    }

    @Test func aFailingOrDamagedArchiveIsNotShipped() throws {
        let server = try SSHTestServer()
        defer { server.stop() }
        let cases: [(String, [String], Int32)] = [
            ("prisma-ok-debian-amd64.tar", ["--arch", "arm64"], 1),
            ("prisma-missing.tar", [], 1),
            ("bad-layer-digest.tar", [], 3),
            ("truncated.tar.gz", [], 2),
            ("not-an-archive.bin", [], 4),
        ]
        for (name, flags, code) in cases {
            let remote = server.remote("refused-\(name)")
            let r = try server.imgtool(["ship"] + flags + [TS.fixture(name), "ship:\(remote)"])
            #expect(r.status == code, "\(name): \(r.stderr)")
            #expect(!Self.exists(remote), "\(name): nothing may reach the remote")
        }
        // --no-verify ships it anyway.
        let remote = server.remote("forced")
        let r = try server.imgtool(["ship", "--no-verify", TS.fixture("prisma-missing.tar"), "ship:\(remote)"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try TS.bytes(remote + "/prisma-missing.tar") == TS.bytes(TS.fixture("prisma-missing.tar")))
    }

    // MARK: - Resume

    @Test func aKilledShipResumesWithOnlyTheMissingChunks() throws {
        let server = try SSHTestServer()
        defer { server.stop() }
        let local = try TS.TempDir()
        defer { local.cleanup() }
        let size = 24 << 20
        let archive = try Self.randomFile(local, "app.tar", size: size)
        let remote = server.remote("resume")
        // Slow the upload down so that the kill lands mid-transfer.
        let slow = try TCPProxy(to: server.port, rate: 6_000_000, countFile: local.path("slow.count"))
        defer { slow.stop() }
        let p = try server.startImgtool(["ship", "--no-verify", "--chunk-size", "1M", archive, "127.0.0.1:\(slow.port):\(remote)"])
        let deadline = Date().addingTimeInterval(60)
        while Self.chunkFiles(remote).count < 4 && Date() < deadline && p.isRunning { usleep(50_000) }
        #expect(p.isRunning, "the ship ended before it could be killed")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        // Let the remote side see the end of its input and drop the partial chunk.
        usleep(1_500_000)
        var present = Self.chunkFiles(remote)
        #expect(present.count >= 4)
        #expect(!Self.exists(remote + "/app.tar"), "nothing is published before the whole file is checked")
        // Damage one of the chunks that arrived: the next ship must find it and send it again.
        let (victim, victimSize) = try #require(present.sorted { $0.key < $1.key }.first)
        var damaged = try TS.bytes(remote + "/.imgtool/chunks/" + victim)
        damaged[damaged.count / 3] ^= 0x01
        try TS.write(damaged, to: remote + "/.imgtool/chunks/" + victim)
        present[victim] = nil
        let presentBytes = present.values.reduce(0, +)

        let counter = try TCPProxy(to: server.port, countFile: local.path("resume.count"))
        defer { counter.stop() }
        let r = try server.imgtool(["ship", "--json", "--no-verify", "--chunk-size", "1M", archive, "127.0.0.1:\(counter.port):\(remote)"])
        #expect(r.status == 0, "\(r.stderr)")
        let d = try Self.summary(r).destinations[0]
        #expect(d.chunksSkipped == present.count)
        #expect(d.chunksResent == 1, "the damaged chunk \(victim) (\(victimSize) bytes) is detected")
        #expect(d.bytesSkipped == Int64(presentBytes))
        #expect(d.bytesSent == Int64(size - presentBytes))
        // What went over the wire: the missing chunks plus ssh's and the protocol's overhead.
        #expect(counter.bytesUp >= size - presentBytes)
        #expect(counter.bytesUp < size - presentBytes + 512 * 1024, "sent \(counter.bytesUp) bytes for \(size - presentBytes) missing")
        #expect(try TS.bytes(remote + "/app.tar") == TS.bytes(archive))
        #expect(!Self.exists(remote + "/.imgtool/chunks"))
    }

    @Test func aCutConnectionFailsCleanlyAndTheNextShipResumes() throws {
        let server = try SSHTestServer()
        defer { server.stop() }
        let local = try TS.TempDir()
        defer { local.cleanup() }
        let size = 16 << 20
        let archive = try Self.randomFile(local, "app.tar.gz", size: size)
        let remote = server.remote("cut")
        let cutter = try TCPProxy(to: server.port, cutAfter: 7 << 20, countFile: local.path("cut.count"))
        let first = try server.imgtool(["ship", "--no-verify", "--chunk-size", "1M", archive, "127.0.0.1:\(cutter.port):\(remote)"])
        cutter.stop()
        #expect(first.status == 8, "\(first.stderr)")
        #expect(first.stderr.contains("127.0.0.1:\(cutter.port)"))
        #expect(first.stderr.contains("run the same command again"))
        #expect(!Self.exists(remote + "/app.tar.gz"))
        let present = Self.chunkFiles(remote)
        #expect(present.count >= 2)

        let counter = try TCPProxy(to: server.port, countFile: local.path("again.count"))
        defer { counter.stop() }
        let r = try server.imgtool(["ship", "--json", "--no-verify", "--chunk-size", "1M", archive, "127.0.0.1:\(counter.port):\(remote)"])
        #expect(r.status == 0, "\(r.stderr)")
        let d = try Self.summary(r).destinations[0]
        let presentBytes = present.values.reduce(0, +)
        #expect(d.bytesSkipped == Int64(presentBytes))
        #expect(d.bytesSent == Int64(size - presentBytes))
        #expect(counter.bytesUp < size - presentBytes + 512 * 1024)
        #expect(try TS.bytes(remote + "/app.tar.gz") == TS.bytes(archive))
    }

    @Test func aDamagedPublishedArchiveIsRepairedFromItsIntactChunks() throws {
        let server = try SSHTestServer()
        defer { server.stop() }
        let local = try TS.TempDir()
        defer { local.cleanup() }
        let size = 8 << 20
        let archive = try Self.randomFile(local, "app.tar", size: size)
        let remote = server.remote("damaged")
        let first = try server.imgtool(["ship", "--json", "--no-verify", "--chunk-size", "1M", archive, "ship:\(remote)"])
        #expect(first.status == 0, "\(first.stderr)")
        let chunks = try Self.summary(first).chunks
        // One byte of the published file rots on the remote disk.
        var bytes = try TS.bytes(remote + "/app.tar")
        bytes[size / 2] ^= 0xFF
        try TS.write(bytes, to: remote + "/app.tar")

        let r = try server.imgtool(["ship", "--json", "--no-verify", "--chunk-size", "1M", archive, "ship:\(remote)"])
        #expect(r.status == 0, "\(r.stderr)")
        let d = try Self.summary(r).destinations[0]
        #expect(d.alreadyPresent == false, "the damage is found: the file's SHA-256 is checked, not trusted")
        #expect(d.chunksReused == chunks - 1, "the intact chunks are cut out of the damaged file")
        #expect(d.chunksResent == 1)
        #expect(d.chunksSent == 1)
        #expect((d.bytesSent ?? 0) > 0 && (d.bytesSent ?? 0) <= 4 << 20)
        #expect(try TS.bytes(remote + "/app.tar") == TS.bytes(archive))
    }

    // MARK: - Delta deploys (packed archives)

    /// One gzip member of a packed archive, from `imgtool pack --json`.
    typealias PackedMember = PackCLITests.JSONDoc.Pack.Member

    /// Packs `fixture` into `dir/name` with `imgtool pack` and returns its members.
    static func pack(_ fixture: String, into dir: String, name: String) throws -> (path: String, members: [PackedMember]) {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let out = dir + "/" + name
        let r = try TS.imgtool(["pack", "--json", "--arch", "amd64", "-o", out, TS.fixture(fixture)])
        #expect(r.status == 0, "\(r.stderr)")
        return (out, try PackCLITests.json(r).pack.members)
    }

    /// The bytes of each member of a packed file, keyed by where it starts.
    static func memberBytes(_ path: String, _ members: [PackedMember]) throws -> [(PackedMember, [UInt8])] {
        let all = try TS.bytes(path)
        return members.map { m in
            let start = Int(m.compressedOffset)
            return (m, Array(all[start..<start + Int(m.compressedSize)]))
        }
    }

    @Test func aSecondVersionSendsOnlyTheChangedLayer() throws {
        let server = try SSHTestServer()
        defer { server.stop() }
        let local = try TS.TempDir()
        defer { local.cleanup() }
        // Two builds of one app, packed as the deploy loop does, under the same file name.
        let v1 = try Self.pack("deploy-v1.tar.gz", into: local.path("v1"), name: "maia.tar.gz")
        let v2 = try Self.pack("deploy-v2.tar.gz", into: local.path("v2"), name: "maia.tar.gz")
        let v1Members = Set(try Self.memberBytes(v1.path, v1.members).map { TS.hex($0.1) })
        let v2Members = try Self.memberBytes(v2.path, v2.members)
        // What differs between the two files, member by member: the app layer and the small
        // grouped members around it (its tar header, config, manifest.json).
        let changed = v2Members.filter { !v1Members.contains(TS.hex($0.1)) }
        let changedBytes = changed.reduce(0) { $0 + Int($1.0.compressedSize) }
        let size = try TS.bytes(v2.path).count
        let shared = size - changedBytes
        #expect(changed.contains { $0.0.tarMember != nil }, "the app layer's member changed")
        #expect(shared > 300_000, "the base layers' members are the same bytes in both files")

        let remote = server.remote("maia")
        let first = try server.imgtool(["ship", "--json", "--chunk-size", "64K", v1.path, "ship:\(remote)"])
        #expect(first.status == 0, "\(first.stderr)")

        let counter = try TCPProxy(to: server.port, countFile: local.path("v2.count"))
        defer { counter.stop() }
        let r = try server.imgtool(["ship", "--json", "--chunk-size", "64K", v2.path, "127.0.0.1:\(counter.port):\(remote)"])
        #expect(r.status == 0, "\(r.stderr)")
        let d = try Self.summary(r).destinations[0]
        #expect((d.chunksReused ?? 0) > 0, "the base layers' chunks come from the archive shipped before")
        #expect(d.replaced == true, "version 1 had the same name")
        #expect(try Self.summary(first).destinations[0].replaced == false)
        #expect(d.bytesSent.map { $0 <= Int64(changedBytes) } == true, "sent \(d.bytesSent ?? -1) bytes; \(changedBytes) changed")
        #expect(d.bytesSkipped.map { $0 >= Int64(shared) } == true)
        // Counted on the wire: the changed members plus ssh's and the protocol's overhead, far
        // less than the shared base layers.
        #expect(counter.bytesUp < changedBytes + 48 * 1024, "\(counter.bytesUp) bytes up for \(changedBytes) changed of \(size)")
        #expect(try TS.bytes(remote + "/maia.tar.gz") == TS.bytes(v2.path))
        #expect(try String(contentsOfFile: remote + "/maia.tar.gz.sha256", encoding: .utf8).hasPrefix(try Self.sha256(v2.path)))

        // The same second ship to a new directory sends everything: the count above is a delta.
        let control = try TCPProxy(to: server.port, countFile: local.path("fresh.count"))
        defer { control.stop() }
        let fresh = try server.imgtool(["ship", "--chunk-size", "64K", v2.path, "127.0.0.1:\(control.port):\(server.remote("fresh"))"])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(control.bytesUp > size)
    }

    @Test func keepRemembersExactlyTheLastNArchives() throws {
        let server = try SSHTestServer()
        defer { server.stop() }
        let local = try TS.TempDir()
        defer { local.cleanup() }
        let v1 = try Self.pack("deploy-v1.tar.gz", into: local.path("a"), name: "maia-1.tar.gz")
        let v2 = try Self.pack("deploy-v2.tar.gz", into: local.path("a"), name: "maia-2.tar.gz")
        let other = try Self.pack("prisma-ok-debian-amd64.tar", into: local.path("a"), name: "other-3.tar.gz")
        let remote = server.remote("kept")
        func ship(_ path: String) throws -> Summary.Destination {
            let r = try server.imgtool(["ship", "--json", "--keep", "2", "--chunk-size", "64K", path, "ship:\(remote)"])
            #expect(r.status == 0, "\(r.stderr)")
            return try Self.summary(r).destinations[0]
        }
        func kept() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: remote + "/.imgtool/kept").map { name in
                let text = try String(contentsOfFile: remote + "/.imgtool/kept/" + name, encoding: .utf8)
                return String(text.prefix { $0 != "\n" }.split(separator: " ")[1])
            }.sorted()
        }
        _ = try ship(v1.path)
        _ = try ship(v2.path)
        #expect(try kept() == ["maia-1.tar.gz", "maia-2.tar.gz"])
        _ = try ship(other.path)
        #expect(try kept() == ["maia-2.tar.gz", "other-3.tar.gz"], "the oldest is forgotten")
        #expect(!Self.exists(remote + "/.imgtool/chunks"))

        // v1's content again under a new name: maia-1.tar.gz is still on the disk, but forgotten,
        // so the chunks only v1 has (its app layer) are sent, and the ones it shares with
        // maia-2.tar.gz (the base layers) are cut out of that file.
        let again = local.path("b/maia-4.tar.gz")
        try FileManager.default.createDirectory(atPath: local.path("b"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: v1.path, toPath: again)
        let v2Members = Set(try Self.memberBytes(v2.path, v2.members).map { TS.hex($0.1) })
        let onlyV1 = try Self.memberBytes(v1.path, v1.members).filter { !v2Members.contains(TS.hex($0.1)) }
            .reduce(0) { $0 + Int($1.0.compressedSize) }
        let d = try ship(again)
        #expect((d.chunksReused ?? 0) > 0)
        #expect(d.bytesSent.map { $0 > 0 && $0 <= Int64(onlyV1) } == true, "sent \(d.bytesSent ?? -1); \(onlyV1) bytes are only in v1")
        #expect(try kept() == ["maia-4.tar.gz", "other-3.tar.gz"])
        #expect(try TS.bytes(remote + "/maia-4.tar.gz") == TS.bytes(v1.path))
    }

    @Test func progressGoesToStderrOnlyOnATerminal() throws {
        let server = try SSHTestServer()
        defer { server.stop() }
        let local = try TS.TempDir()
        defer { local.cleanup() }
        let archive = try Self.randomFile(local, "app.tar", size: 6 << 20)
        let slow = try TCPProxy(to: server.port, rate: 3_000_000, countFile: local.path("count"))
        defer { slow.stop() }
        // `script` gives imgtool a terminal (stdin stays /dev/null, so BatchMode is still on).
        let command = "IMGTOOL_SSH='\(server.sshCommand)' '\(TS.imgtool)' ship --no-verify --chunk-size 1M '\(archive)' 127.0.0.1:\(slow.port):'\(server.remote("tty"))'"
        let tty = try TS.run("/usr/bin/script", ["-qec", command, "/dev/null"])
        #expect(tty.status == 0, "\(tty.stdout)")
        #expect(tty.stdout.contains("\r\u{1B}[Kship: "), "a progress line on the terminal")
        #expect(tty.stdout.contains("%)"), "with a percentage")
        #expect(tty.stdout.contains("/s"), "and a rate")
        let plain = try server.imgtool(["ship", "--no-verify", "--keep", "0", archive, "ship:\(server.remote("plain"))"])
        #expect(plain.status == 0)
        #expect(!plain.stderr.contains("\u{1B}[K") && !plain.stderr.contains("\r"), "no progress when stderr is not a terminal")
    }

    // MARK: - Remote failures: clear errors, nothing published

    @Test func aFullRemoteDiskIsReportedAndNothingIsPublished() throws {
        let server = try SSHTestServer()
        defer { server.stop() }
        let local = try TS.TempDir()
        defer { local.cleanup() }
        let archive = try Self.randomFile(local, "app.tar", size: 4 << 20)
        // A 2 MiB filesystem: the space check refuses before sending.
        let small = server.remote("small")
        // Plenty of bytes but only a few inodes: writes fail with ENOSPC mid-transfer.
        let inodes = server.remote("inodes")
        // Read-only: the directory cannot be written.
        let readonly = server.remote("readonly")
        for (dir, options) in [(small, "size=2m"), (inodes, "size=64m,nr_inodes=6"), (readonly, "size=1m,ro")] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let m = try TS.tool("mount", ["-t", "tmpfs", "-o", options, "imgtool-test", dir])
            try #require(m.status == 0, "cannot mount a small tmpfs for this test (needs root): \(m.stderr)")
        }
        defer { for dir in [small, inodes, readonly] { _ = try? TS.tool("umount", [dir]) } }

        let full = try server.imgtool(["ship", "--no-verify", archive, "ship:\(small)"])
        #expect(full.status == 8, "\(full.stderr)")
        #expect(full.stderr.contains("ship:\(small): no space left"), "\(full.stderr)")
        #expect(!Self.exists(small + "/app.tar"))

        let midway = try server.imgtool(["ship", "--no-verify", "--chunk-size", "256K", archive, "ship:\(inodes)"])
        #expect(midway.status == 8, "\(midway.stderr)")
        #expect(midway.stderr.contains("no space left"), "\(midway.stderr)")
        #expect(!Self.exists(inodes + "/app.tar"))

        let ro = try server.imgtool(["ship", "--no-verify", archive, "ship:\(readonly)/sub"])
        #expect(ro.status == 8, "\(ro.stderr)")
        #expect(ro.stderr.contains("permission denied"), "\(ro.stderr)")
    }

    @Test func connectionAndRemoteSetupErrorsSayWhatToDo() throws {
        let server = try SSHTestServer()
        defer { server.stop() }
        let archive = TS.fixture("prisma-ok-debian-amd64.tar")
        let file = server.remote("a-file")
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        // A port nobody listens on: the server's second port, briefly bound and closed by python.
        let closed = try TS.python("import socket\ns=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // The ssh command to try by hand: the configured one (with its -F), as the user runs it.
        let cases: [(String, String, String?)] = [
            ("ship:\(file)", "exists and is not a directory", nil),
            ("nosha:\(server.remote("nosha"))", "no SHA-256 tool", nil),
            ("127.0.0.1:\(closed):\(server.remote("x"))", "cannot connect", "(try `\(server.sshCommand) -p \(closed) 127.0.0.1 true`)"),
            ("wrongkey:\(server.remote("x"))", "authentication failed", "(try `\(server.sshCommand) wrongkey true`)"),
            ("wronghost:\(server.remote("x"))", "host key check failed", "connect once with `\(server.sshCommand) wronghost`"),
        ]
        for (destination, message, hint) in cases {
            let started = Date()
            let r = try server.imgtool(["ship", archive, destination])
            #expect(r.status == 8, "\(destination): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(destination): \(r.stderr)")
            if let hint { #expect(r.stderr.contains(hint), "\(destination): \(r.stderr)") }
            #expect(r.stderr.split(separator: "\n").count == 1 && !r.stderr.contains("\r"), "one line: \(r.stderr)")
            #expect(r.stdout.contains("verify: all"), "the checks ran first")
            #expect(Date().timeIntervalSince(started) < 30, "never hangs on a prompt")
        }
        #expect(!Self.exists(server.remote("x")))
        // An ssh command that does not exist is not a network problem.
        let missing = try server.imgtool(["ship", archive, "ship:\(server.remote("x"))"], ssh: "imgtool-no-such-ssh -F x")
        #expect(missing.status == 8)
        #expect(missing.stderr.contains("cannot run the ssh command `imgtool-no-such-ssh -F x`"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("run the same command again"))
    }

    // MARK: - Concurrency

    @Test func concurrentShipsToOneDirectoryDoNotCorruptEachOther() throws {
        let server = try SSHTestServer()
        defer { server.stop() }
        let local = try TS.TempDir()
        defer { local.cleanup() }
        let a = try Self.randomFile(local, "a.tar", size: 6 << 20)
        let b = try Self.randomFile(local, "b.tar", size: 6 << 20)
        let remote = server.remote("shared")
        let other = server.remote("second")
        let flags = ["ship", "--no-verify", "--chunk-size", "512K"]
        let processes = try [
            server.startImgtool(flags + [a, "ship:\(remote)"], stderrPath: local.path("1.err")),
            server.startImgtool(flags + [a, "ship:\(remote)"], stderrPath: local.path("2.err")),
            server.startImgtool(flags + [b, "ship:\(remote)", "ship:\(other)"], stderrPath: local.path("3.err")),
        ]
        for (i, p) in processes.enumerated() {
            p.waitUntilExit()
            let stderr = (try? String(contentsOfFile: local.path("\(i + 1).err"), encoding: .utf8)) ?? ""
            #expect(p.terminationStatus == 0, "ship \(i + 1): \(stderr)")
        }
        #expect(try TS.bytes(remote + "/a.tar") == TS.bytes(a))
        #expect(try TS.bytes(remote + "/b.tar") == TS.bytes(b))
        #expect(try TS.bytes(other + "/b.tar") == TS.bytes(b))
        for (dir, name, path) in [(remote, "a.tar", a), (remote, "b.tar", b)] {
            #expect(try String(contentsOfFile: "\(dir)/\(name).sha256", encoding: .utf8) == "\(try Self.sha256(path))  \(name)\n")
        }
        let left = try TS.tool("find", [remote + "/.imgtool"]).stdout
        #expect(!Self.exists(remote + "/.imgtool/chunks"), "left behind: \(left)")
        #expect(!left.contains(".tmp.") && !left.contains(".part.") && !left.contains(".idx."), "left behind: \(left)")
    }

    // MARK: - Hostile input

    @Test func hostileDestinationsAndNamesCannotRunCommands() throws {
        let server = try SSHTestServer()
        defer { server.stop() }
        let local = try TS.TempDir()
        defer { local.cleanup() }
        let marker = server.remote("pwned")
        let archive = TS.fixture("prisma-ok-debian-amd64.tar")
        // A directory with shell syntax in it is just a directory.
        let weird = server.remote("maia; touch \(marker); echo $(touch \(marker))")
        let r = try server.imgtool(["ship", archive, "ship:\(weird)"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.exists(weird + "/prisma-ok-debian-amd64.tar"))
        // So is a file name (relative: a file name has no '/'; the remote runs in DIR or in HOME).
        let name = "it's $(touch imgtool-pwned) `touch imgtool-pwned`; touch imgtool-pwned.tar"
        try FileManager.default.copyItem(atPath: archive, toPath: local.path(name))
        let n = try server.imgtool(["ship", local.path(name), "ship:\(server.remote("names"))"])
        #expect(n.status == 0, "\(n.stderr)")
        #expect(Self.exists(server.remote("names") + "/" + name))
        #expect(try TS.bytes(server.remote("names") + "/" + name + ".sha256").count > 64)
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        for dir in [server.remote("names"), home, TS.repoRoot.path] {
            #expect(!Self.exists(dir + "/imgtool-pwned"), "nothing ran in \(dir)")
        }
        // Hosts that look like ssh options are refused before ssh runs.
        for argv in [
            ["ship", archive, "-oProxyCommand=touch \(marker):/tmp"],
            ["ship", archive, "--", "-oProxyCommand=touch \(marker):/tmp"],
            ["ship", archive, "--", "ship:/tmp", "-oProxyCommand=touch \(marker):/tmp"],
            ["ship", archive, "--", "-l:/tmp"],
            ["ship", archive, "--", "user@-oProxyCommand=x:/tmp"],
            ["ship", archive, "--", "host;touch \(marker):/tmp"],
        ] {
            let h = try server.imgtool(argv)
            #expect(h.status == 64, "\(argv): \(h.stderr)")
        }
        #expect(!Self.exists(marker), "nothing ran")
    }

    // MARK: - --load and --then

    @Test func loadRunsDockerLoadOnTheArrivedFileAndThenReportsItsStatus() throws {
        let server = try SSHTestServer()
        defer { server.stop() }
        let gz = TS.fixture("skopeo-docker-archive.tar.gz")
        let remote = server.remote("load")
        let r = try server.imgtool([
            "ship", "--json", "--no-verify", "--load", "--then", "echo started > then.txt; exit 3", gz, "ship:\(remote)",
        ])
        #expect(r.status == 9, "--then failed: \(r.stderr)")
        let d = try Self.summary(r).destinations[0]
        #expect(d.loaded == ["app:1.0"])
        #expect(d.then?.status == 3)
        #expect(try String(contentsOfFile: remote + "/then.txt", encoding: .utf8) == "started\n")
        let log = try String(contentsOfFile: server.dockerLog, encoding: .utf8)
        let tarHex = try TS.python(
            "import gzip,hashlib,sys;print(hashlib.sha256(gzip.open(sys.argv[1]).read()).hexdigest())", [gz]
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(log.contains("args: load\n"), "gzip is decompressed on the fly into docker load: \(log)")
        #expect(log.contains("stdin: \(tarHex)"), "docker load got the decompressed archive: \(log)")

        // A plain tar goes as `docker load -i`; text output names the image.
        let tar = TS.fixture("prisma-ok-debian-amd64.tar")
        let t = try server.imgtool(["ship", "--load", "--then", "true", tar, "ship:\(remote)"])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout.contains("loaded: app:1.0"))
        #expect(t.stdout.contains("then: `true` exited with status 0"))
        let log2 = try String(contentsOfFile: server.dockerLog, encoding: .utf8)
        #expect(log2.contains("args: load -i prisma-ok-debian-amd64.tar"))
        #expect(log2.contains("stdin: \(try Self.sha256(tar))"))

        // docker load fails (no daemon): the archive is there and said so, --then does not run.
        try "".write(toFile: server.dockerFailMarker, atomically: true, encoding: .utf8)
        let other = server.remote("load-fails")
        let f = try server.imgtool(["ship", "--load", "--then", "touch then-ran", tar, "ship:\(other)"])
        #expect(f.status == 9, "\(f.stderr)")
        #expect(f.stdout.contains("shipped \(other)/prisma-ok-debian-amd64.tar"))
        #expect(f.stdout.contains("load: `docker load` exited with status 1"))
        #expect(f.stderr.contains("Cannot connect to the Docker daemon"))
        #expect(f.stderr.contains("Error: ship:\(other): `docker load` exited with status 1"))
        #expect(!Self.exists(other + "/then-ran"))
        #expect(try TS.bytes(other + "/prisma-ok-debian-amd64.tar") == TS.bytes(tar))
    }
}

/// `imgtool ship`'s command line, without a server.
@Suite struct ShipCLITests {
    @Test func helpAndUsage() throws {
        let help = try TS.imgtool(["help", "ship"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: imgtool ship"))
        #expect(help.stdout.contains("<archive> <destination> ..."))
        #expect(help.stdout.contains("--then <command>"))
        #expect(help.stdout.contains("8   ship: the archive did not arrive"))
        let root = try TS.imgtool(["--help"])
        #expect(root.stdout.contains("ship"))
        let missing = try TS.imgtool(["ship", TS.fixture("prisma-ok-debian-amd64.tar")])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("Missing expected argument '<destination>'"))
        let stdin = try TS.imgtool(["ship", "-", "vps:/x"])
        #expect(stdin.status == 64)
        let keep = try TS.imgtool(["ship", "--keep", "-1", TS.fixture("prisma-ok-debian-amd64.tar"), "vps:/x"])
        #expect(keep.status == 64)
        let ignored = try TS.imgtool(["ship", "--no-verify", "--arch", "arm64", TS.fixture("prisma-ok-debian-amd64.tar"), "vps:/x"])
        #expect(ignored.status == 64)
        #expect(ignored.stderr.contains("--no-verify skips the checks, so --arch would be ignored"))
        let relative = try TS.imgtool(["ship", TS.fixture("prisma-ok-debian-amd64.tar"), "vps:releases"])
        #expect(relative.status == 64)
        #expect(relative.stderr.contains("the remote directory must be absolute"))
    }

    @Test func aFailingArchiveGivesTheVerifyReportAsJSON() throws {
        let r = try TS.imgtool(["ship", "--json", TS.fixture("prisma-missing.tar"), "vps:/x"])
        #expect(r.status == 1)
        let doc = try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any]
        #expect(doc?["passed"] as? Bool == false)
        #expect(r.stderr.contains("not shipped"))
    }
}
