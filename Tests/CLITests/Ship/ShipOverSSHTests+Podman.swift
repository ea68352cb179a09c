import Foundation
import TestSupport
import Testing

extension ShipOverSSHTests {
    /// `--load` to a server with podman and no docker: the target check names podman, the
    /// archive goes to `podman load` (decompressed on the server: Debian's podman 4.3.1 reads no
    /// gzip docker-archive), and podman has the image.
    @Suite(
        .enabled(
            if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/podman"),
            "needs root and Debian's podman (apt-get install podman)"))
    struct Podman {
        @Test(.timeLimit(.minutes(2))) func loadGoesToPodmanWhereThereIsNoDocker() throws {
            let server = try SSHTestServer(podman: true)
            defer { server.stop() }
            let local = try TS.TempDir()
            defer { local.cleanup() }
            let gz = local.path("app.tar.gz")
            let p = try TS.imgtool(["pack", "-o", gz, TS.fixture("prisma-ok-debian-amd64.tar")])
            try #require(p.status == 0, "\(p.stderr)")
            // podman itself cannot read it (seen here; containers/podman#15944).
            let direct = try TS.run(server.podmanCommand[0], Array(server.podmanCommand.dropFirst()) + ["load", "-i", gz])
            #expect(direct.status != 0, "\(direct.stdout)")

            let r = try server.imgtool(["ship", "--json", "--load", gz, "podman:\(server.remote("pod"))"])
            #expect(r.status == 0, "\(r.stderr)")
            let d = try ShipOverSSHTests.summary(r).destinations[0]
            #expect(d.ok && d.loaded == ["docker.io/library/prisma-ok-debian-amd64:1.0"], "\(r.stdout)")
            #expect(r.stdout.contains(#""command" : "podman load""#), "\(r.stdout)")
            let engine = try ShipOverSSHTests.targetChecks(r).first { $0.id == "target-engine" }
            #expect(engine?.status == "passed" && engine?.message.contains("podman 4.") == true, "\(r.stdout)")
            let images = try TS.run(
                server.podmanCommand[0], Array(server.podmanCommand.dropFirst()) + ["images", "--format", "{{.Repository}}:{{.Tag}}"])
            #expect(images.stdout.contains("docker.io/library/prisma-ok-debian-amd64:1.0"), "\(images.stdout) \(images.stderr)")
        }
    }
}
