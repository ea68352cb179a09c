import Codec
import ImageArchive
import OCI

/// The rules of `--load`: whether the target's engine reads the archive as `imgtool ship --load`
/// hands it over. ship's load path (`RemoteScript.load`) decompresses a gzip or zstd archive on
/// the server (`gzip -dc`, `zstd -dc`) into `docker load` or `podman load` whenever the server has
/// the tool, and only without it hands the compressed file to `docker load -i`. So it never meets
/// moby/moby#46600 (Docker 24's containerd store failed on every compressed archive, "archive/tar:
/// invalid tar header", fixed by moby/moby#46605 in 25.0) nor podman 4.3's failure on a gzip
/// docker-archive (containers/podman#15944; seen on Debian 12's podman 4.3.1).
extension TargetChecks {
    static func load(_ facts: ArchiveFacts, target: DeployTarget) -> [CheckResult] {
        guard let engine = target.engine, engine.daemonError == nil else { return [] }
        return [compression(facts, engine: engine, target: target), layout(facts, engine: engine, target: target)]
            + (layers(facts.images, engine: engine, target: target).map { [$0] } ?? [])
    }

    /// Docker reads zstd archives from 23.0 on: moby/moby#41759 (Engine 23.0.0 release notes:
    /// "Add support for pulling zstd compressed layers"; the same `DecompressStream` serves
    /// `docker load`; docker/cli#4667). Seen here: Docker 20.10.24 fails `docker load` of `docker
    /// save | zstd` with "Error processing tar file(exit status 1): archive/tar: invalid tar header".
    static let zstdLoad = EngineVersion(major: 23, minor: 0)
    /// The containerd image store reads compressed archives from 25.0 (moby/moby#46605 fixed
    /// moby/moby#46600, which 24.0.x has).
    static let containerdCompressedLoad = EngineVersion(major: 25, minor: 0)

    /// Whether the engine itself reads an archive compressed as `format` (`docker load -i`).
    static func readsItself(_ format: CompressionFormat, _ engine: DeployTarget.Engine) -> Bool {
        guard engine.kind == .docker, let v = engine.version else { return false }
        if engine.containerdStore && v < containerdCompressedLoad { return false }
        switch format {
        case .gzip: return true
        case .zstd: return v >= zstdLoad
        default: return false
        }
    }

    static func compression(_ archive: ArchiveFacts, engine: DeployTarget.Engine, target: DeployTarget) -> CheckResult {
        let id = "target-load-compression"
        let name = engine.kind.rawValue
        let format = archive.compression
        let expected = "a format `\(name) load` reads, or its decompressor on the server"
        switch format {
        case .none:
            return CheckResult(id: id, status: .passed, expected: expected, found: "tar", message: "a plain tar: `\(name) load` reads it")
        case .gzip, .zstd:
            let tool = format.rawValue
            if target.tools.contains(tool) {
                return CheckResult(
                    id: id, status: .passed, expected: expected, found: tool,
                    message: "\(tool): decompressed by `\(tool) -dc` on the server into `\(name) load`")
            }
            if readsItself(format, engine) {
                return CheckResult(
                    id: id, status: .passed, expected: expected, found: tool,
                    message: "\(tool): read by `docker load` itself (the server has no \(tool))")
            }
            let why: String
            switch (format, engine.kind) {
            case (_, .podman): why = "podman 4 cannot read a compressed docker-archive, containers/podman#15944"
            case (.zstd, _) where engine.version.map({ $0 < zstdLoad }) ?? true:
                why = "Docker reads zstd archives from 23.0, moby/moby#41759"
            default: why = "Docker 24's containerd image store cannot read a compressed archive, moby/moby#46600, fixed in 25.0"
            }
            return CheckResult(
                id: id, status: .failed, expected: expected, found: "\(tool); \(engine.summary); no \(tool) on the server",
                message:
                    "\(target.name): \(engine.summary) cannot load this \(tool) archive (\(why)), and the server has no \(tool) to decompress it",
                fix: format == .zstd
                    ? "pack it with gzip (imgtool pack --format gzip IN -o OUT.tar.gz), or install zstd on the server (apt-get install zstd)"
                    : "install gzip on the server, or ship the uncompressed tar")
        case .xz, .bzip2:
            return CheckResult(
                id: id, status: .failed, expected: "tar, gzip or zstd", found: format.rawValue,
                message: "\(format.rawValue): ship's load path does not decompress it", fix: "recompress it: imgtool pack IN -o OUT.tar.gz")
        }
    }

    /// An OCI image layout without `manifest.json` (skopeo's `oci-archive:`, `buildx --output
    /// type=oci`) is never read by Docker's classic image store: its loader reads `manifest.json`
    /// only and falls back to the pre-1.10 loader without one ("open /var/lib/docker/tmp/
    /// docker-import-N/blobs/json: no such file or directory", seen here with Docker 20.10.24;
    /// `…/manifest.json: no such file or directory` from 29.0, moby/moby#50324), even after Docker
    /// 25 began to write OCI layouts (moby/moby#44598). The containerd image store reads it
    /// (moby/moby#43822, the answer to moby/moby#44162), and so does podman (podman-load(1)).
    static func layout(_ archive: ArchiveFacts, engine: DeployTarget.Engine, target: DeployTarget) -> CheckResult {
        let id = "target-load-layout"
        let name = engine.kind.rawValue
        let summary = archive.layout.summary
        guard archive.layout == .ociArchive, engine.kind == .docker else {
            return CheckResult(
                id: id, status: .passed, expected: "a layout \(name) load reads", found: summary,
                message: "\(summary): `\(name) load` reads it")
        }
        if engine.containerdStore {
            return CheckResult(
                id: id, status: .passed, expected: "a layout docker load reads", found: summary,
                message: "\(summary): Docker's containerd image store reads OCI layouts")
        }
        return CheckResult(
            id: id, status: .failed, expected: "manifest.json (Docker's classic image store reads no OCI layout)",
            found: summary + ", no manifest.json",
            message:
                "\(target.name): \(engine.summary) cannot load an OCI layout without manifest.json (only the containerd image store reads one: moby/moby#43822, moby/moby#44162)",
            fix:
                "write a docker-archive instead: skopeo copy oci-archive:IN docker-archive:OUT.tar:IMAGE:TAG (or docker save on the build machine)"
        )
    }

    /// zstd layer blobs inside the archive go through the same decompressor as the archive
    /// (moby's `archive.DecompressStream`, `image/tarexport/load.go`), which reads zstd from
    /// Docker 23.0 (moby/moby#41759). Seen here: Docker 20.10.24 fails a containerd export with
    /// zstd layers with "ApplyLayer exit status 1 stdout:  stderr: archive/tar: invalid tar header".
    static func layers(_ images: [ArchiveFacts.Image], engine: DeployTarget.Engine, target: DeployTarget) -> CheckResult? {
        let id = "target-load-layers"
        let all = images.flatMap(\.layers)
        guard !all.isEmpty else { return nil }
        // Media types no engine's load unpacks: encrypted layers (ocicrypt's `+encrypted`, which
        // needs the key and a decrypting client) and blobs that are no layer at all.
        let unreadable = all.compactMap(\.mediaType).filter { !$0.isLayer || $0.rawValue.hasSuffix("+encrypted") }
        if let first = unreadable.first {
            return CheckResult(
                id: id, status: .failed, expected: "layers of tar, gzip or zstd",
                found: "\(unreadable.count) layer\(unreadable.count == 1 ? "" : "s") of media type \(first)",
                message: "\(target.name): `\(engine.kind.rawValue) load` cannot unpack a layer of media type \(first)",
                fix: "export the image without encryption or foreign blobs (docker save on the build machine)")
        }
        let zstd = all.filter { $0.compression == .zstd || $0.mediaType?.isZstd == true }
        let kinds = Set(all.map { $0.compression == .none ? "tar" : $0.compression.rawValue }).sorted().joined(separator: ", ")
        if zstd.isEmpty || engine.kind == .podman || (engine.version.map { $0 >= zstdLoad } ?? false) {
            return CheckResult(
                id: id, status: .passed, expected: "layers \(engine.kind.rawValue) load reads", found: kinds,
                message: "\(all.count) layer\(all.count == 1 ? "" : "s") (\(kinds)): `\(engine.kind.rawValue) load` reads them")
        }
        return CheckResult(
            id: id, status: .failed, expected: "layers of tar or gzip (Docker before 23 reads no zstd)",
            found: "\(zstd.count) zstd layer\(zstd.count == 1 ? "" : "s")",
            message: "\(target.name): \(engine.summary) cannot load zstd-compressed layers (Docker reads them from 23.0, moby/moby#41759)",
            fix: "convert the layers to gzip: skopeo copy --dest-compress-format gzip oci-archive:IN docker-archive:OUT.tar:IMAGE:TAG")
    }
}
