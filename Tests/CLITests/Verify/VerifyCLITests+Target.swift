import Foundation
import TestSupport
import Testing

extension VerifyCLITests {
    /// `verify --target SERVER`: the target checks of `ship`, offline, against a known server.
    @Suite struct Target {
        /// (fixture, --target, extra arguments, the status of each named target check).
        static let cases: [(String, String, [String], [String: String])] = [
            // zstd archive: Docker reads it from 23; podman and Docker 20.10 would need zstd on the server.
            ("skopeo-docker-archive.tar.zst", "docker-20.10", [], ["target-load-compression": "failed", "target-load-layout": "passed"]),
            ("skopeo-docker-archive.tar.zst", "docker-23", [], ["target-load-compression": "passed"]),
            ("skopeo-docker-archive.tar.zst", "docker-25-containerd", [], ["target-load-compression": "passed"]),
            ("skopeo-docker-archive.tar.zst", "podman-4", [], ["target-load-compression": "failed"]),
            // gzip: decompressed on the server (the presets have gzip).
            ("skopeo-docker-archive.tar.gz", "podman-4", [], ["target-load-compression": "passed"]),
            ("skopeo-docker-archive.tar.gz", "docker-20.10", [], ["target-load-compression": "passed"]),
            // An OCI layout without manifest.json: only the containerd store and podman read it.
            ("oci-archive.tar", "docker-20.10", [], ["target-load-layout": "failed"]),
            ("oci-archive.tar", "docker-25", [], ["target-load-layout": "failed"]),
            ("oci-archive.tar", "docker-25-containerd", [], ["target-load-layout": "passed"]),
            ("oci-archive.tar", "podman-4", [], ["target-load-layout": "passed"]),
            // zstd layers with manifest.json: from Docker 23.
            ("zstd/containerd-export-zstd.tar", "docker-20.10", [], ["target-load-layers": "failed", "target-load-layout": "passed"]),
            ("zstd/containerd-export-zstd.tar", "docker-23", [], ["target-load-layers": "passed"]),
            // The server's CPU is the one of --arch / --platform; without it, unknown.
            ("prisma-arm64.tar.gz", "docker-25", ["--arch", "arm64"], ["target-platform": "passed"]),
            ("prisma-arm64.tar.gz", "docker-25", [], ["target-platform": "skipped"]),
            ("prisma-arm64.tar.gz", "docker-25", ["--allow-emulation"], ["target-platform": "skipped"]),
            ("docker/one-layer.tar", "docker-20.10", [], ["target-engine": "passed", "target-load-layout": "passed"]),
        ]

        @Test(arguments: cases.indices) func targetChecksPerServer(_ i: Int) throws {
            let (fixture, target, extra, expected) = Self.cases[i]
            let r = try TS.imgtool(["verify", "--json", "--no-prisma", "--target", target] + extra + [TS.fixture(fixture)])
            let doc = try VerifyCLITests.json(r)
            let image = try #require((doc["images"] as? [[String: Any]])?.first, "\(r.stdout) \(r.stderr)")
            for (id, status) in expected {
                #expect(VerifyCLITests.checkStatus(image, id) == [status], "\(fixture) --target \(target) \(extra): \(id) in \(r.stdout)")
            }
            let failed = expected.values.contains("failed")
            if failed { #expect(r.status == 1, "\(r.stderr)") }
        }

        /// An arm64 image checked for an amd64 server: the target check fails with the build fix.
        @Test func anImageForAnotherCPU() throws {
            let r = try TS.imgtool([
                "verify", "--json", "--target", "docker-25", "--platform", "linux/amd64", TS.fixture("prisma-multiarch.tar"),
            ])
            let image = try #require((try VerifyCLITests.json(r)["images"] as? [[String: Any]])?.first)
            #expect(VerifyCLITests.checkStatus(image, "target-platform") == ["passed"], "\(r.stdout)")
            let arm = try TS.imgtool(["verify", "--target", "docker-25", "--arch", "amd64", TS.fixture("prisma-arm64.tar.gz")])
            #expect(arm.status == 1)
            #expect(arm.stdout.contains("FAIL  target-platform"), "\(arm.stdout)")
            #expect(arm.stdout.contains("docker buildx build"), "\(arm.stdout)")
        }

        @Test func usage() throws {
            let bad = try TS.imgtool(["verify", "--target", "docker-19", TS.fixture("oci-archive.tar")])
            #expect(bad.status == 64)
            #expect(bad.stderr.contains("docker-20.10, docker-23, docker-25, docker-25-containerd, podman-4"), "\(bad.stderr)")
            let lone = try TS.imgtool(["verify", "--allow-emulation", TS.fixture("oci-archive.tar")])
            #expect(lone.status == 64, "\(lone.stderr)")
            #expect(lone.stderr.contains("--allow-emulation applies to --target"), "\(lone.stderr)")
        }
    }
}
