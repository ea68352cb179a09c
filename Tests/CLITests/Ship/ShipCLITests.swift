import Foundation
import TestSupport
import Testing

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
