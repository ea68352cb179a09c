import Foundation
import TestSupport
import Testing

extension ShipOverSSHTests {
    /// Shell syntax in destinations and file names stays data; hosts that look like ssh options are
    /// refused before ssh runs.
    @Suite struct HostileInput {
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
            #expect(ShipOverSSHTests.exists(weird + "/prisma-ok-debian-amd64.tar"))
            // So is a file name (relative: a file name has no '/'; the remote runs in DIR or in HOME).
            let name = "it's $(touch imgtool-pwned) `touch imgtool-pwned`; touch imgtool-pwned.tar"
            try FileManager.default.copyItem(atPath: archive, toPath: local.path(name))
            let n = try server.imgtool(["ship", local.path(name), "ship:\(server.remote("names"))"])
            #expect(n.status == 0, "\(n.stderr)")
            #expect(ShipOverSSHTests.exists(server.remote("names") + "/" + name))
            #expect(try TS.bytes(server.remote("names") + "/" + name + ".sha256").count > 64)
            let home = FileManager.default.homeDirectoryForCurrentUser.path
            for dir in [server.remote("names"), home, TS.repoRoot.path] {
                #expect(!ShipOverSSHTests.exists(dir + "/imgtool-pwned"), "nothing ran in \(dir)")
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
            #expect(!ShipOverSSHTests.exists(marker), "nothing ran")
        }
    }
}
