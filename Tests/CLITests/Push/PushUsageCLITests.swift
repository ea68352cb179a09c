import Foundation
import TestSupport
import Testing

/// `imgtool push`'s command line: help, and usage errors (exit 64) before anything is read or sent.
@Suite struct PushUsageCLITests {
    @Test func help() throws {
        for args in [["push", "--help"], ["push", "-h"], ["help", "push"]] {
            let r = try TS.imgtool(args)
            #expect(r.status == 0)
            #expect(r.stderr.isEmpty)
            #expect(r.stdout.contains("USAGE: imgtool push"), "\(r.stdout)")
            #expect(r.stdout.contains("--password-stdin"))
            #expect(r.stdout.contains("--from <repository>"))
        }
        #expect(try TS.imgtool(["--help"]).stdout.contains("push"))
    }

    @Test(arguments: [
        (["push", TS.fixture("deploy-v1.tar.gz")], "reference"),
        (["push", TS.fixture("deploy-v1.tar.gz"), "127.0.0.1:5000/Maia:v1"], "lowercase"),
        (["push", TS.fixture("deploy-v1.tar.gz"), "127.0.0.1:5000/maia@sha256:00"], "digest"),
        (["push", "--username", "u", TS.fixture("deploy-v1.tar.gz"), "127.0.0.1:5000/maia:v1"], "--password-stdin"),
        (["push", "--username", "u", "--password-stdin", "-", "127.0.0.1:5000/maia:v1"], "give a file"),
        (["push", "--no-verify", "--arch", "amd64", TS.fixture("deploy-v1.tar.gz"), "127.0.0.1:5000/maia:v1"], "--no-verify"),
        (["push", "--insecure", "--ca-cert", "x.pem", TS.fixture("deploy-v1.tar.gz"), "127.0.0.1:5000/maia:v1"], "--ca-cert"),
        (["push", "--level", "0", TS.fixture("deploy-v1.tar.gz"), "127.0.0.1:5000/maia:v1"], "1 (fastest) to 9"),
        (["push", "--chunk-size", "1K", TS.fixture("deploy-v1.tar.gz"), "127.0.0.1:5000/maia:v1"], "64K to 1G"),
    ])
    func usageErrors(arguments: [String], mentions: String) throws {
        let r = try TS.imgtool(arguments)
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(mentions), "\(r.stderr)")
    }
}
