import ByteIO
import Codec
import ImageArchive
import ImageVerify
import OCI
import Ship

/// The `--json` document of `imgtool inspect`: a stable, documented shape (README, "JSON output").
struct InspectReport: Encodable {
    var schemaVersion = 1
    var archive: ArchiveSummary
    var images: [Image]
    var skipped: [Skipped]
    var problems: [String]

    struct ArchiveSummary: Encodable {
        var path: String
        var layout: String
        var layoutDescription: String
        var compression: String
        var gzipMembers: Int?
        /// zstd frames (not counting skippable frames), for a zstd-compressed archive.
        var zstdFrames: Int?
        var bytes: Int64
        var tarBytes: Int64
        var members: Int
        var digestsVerified: Bool
        /// `full` (every byte read and hashed) or `headers-only` (a plain file walked by seeking).
        var read: String
        /// Present when digests were not verified: why, and that `imgtool verify` checks them.
        var digestsNote: String?
    }

    struct Image: Encodable {
        var tags: [String]
        var platform: String
        var os: String
        var architecture: String
        var variant: String?
        var manifestDigest: String?
        var configDigest: String
        var created: String?
        var config: Config
        var layers: [Layer]
        var size: Int64
        var entries: Int
        /// ELF files of the merged filesystem by architecture (`amd64`, `arm64`, ...).
        var elfCensus: [String: Int] = [:]
    }

    struct Config: Encodable {
        var entrypoint: [String]?
        var cmd: [String]?
        var workingDir: String?
        var user: String?
        var env: [String]
        var exposedPorts: [String]
        var healthcheck: Healthcheck?
        var labels: [String: String]
        var stopSignal: String?
        var volumes: [String]
    }

    struct Healthcheck: Encodable {
        var test: [String]
        var intervalSeconds: Double?
        var timeoutSeconds: Double?
        var startPeriodSeconds: Double?
        var retries: Int?
    }

    struct Layer: Encodable {
        var diffID: String
        var digest: String?
        var mediaType: String?
        var member: String
        var compression: String
        var compressedSize: Int64?
        var size: Int64
        var entries: Int
        var createdBy: String?
        var created: String?
    }

    struct Skipped: Encodable {
        var digest: String
        var mediaType: String
        var platform: String?
        var reason: String
    }

    init(path: String, archive a: ImageArchive, images: [ArchiveImage]) {
        archive = ArchiveSummary(
            path: path, layout: a.layout.rawValue, layoutDescription: a.layout.summary, compression: a.compression.rawValue,
            gzipMembers: a.compression == .gzip ? a.gzipMembers : nil, zstdFrames: a.compression == .zstd ? a.gzipMembers : nil,
            bytes: a.inputBytes, tarBytes: a.tarBytes,
            members: a.memberCount, digestsVerified: a.verified, read: a.verified ? "full" : "headers-only",
            digestsNote: a.verified ? nil : InspectCommand.notVerifiedNote)
        self.images = images.map { image in
            let c = image.config.config
            let seconds: (Int64?) -> Double? = { $0.map { Double($0) / 1e9 } }
            return Image(
                tags: image.tags, platform: image.platform.description, os: image.platform.os,
                architecture: image.platform.architecture, variant: image.platform.variant,
                manifestDigest: image.manifestDigest?.description, configDigest: image.configDigest.description,
                created: image.config.created,
                config: Config(
                    entrypoint: c?.entrypoint, cmd: c?.cmd, workingDir: c?.workingDir, user: c?.user, env: c?.env ?? [],
                    exposedPorts: (c?.exposedPorts ?? [:]).keys.sorted(),
                    healthcheck: c?.healthcheck.map {
                        Healthcheck(
                            test: $0.test ?? [], intervalSeconds: seconds($0.interval), timeoutSeconds: seconds($0.timeout),
                            startPeriodSeconds: seconds($0.startPeriod), retries: $0.retries)
                    },
                    labels: c?.labels ?? [:], stopSignal: c?.stopSignal, volumes: (c?.volumes ?? [:]).keys.sorted()),
                layers: image.layers.map {
                    Layer(
                        diffID: $0.diffID.description, digest: $0.digest?.description, mediaType: $0.mediaType?.rawValue,
                        member: $0.member, compression: $0.compression.rawValue, compressedSize: $0.compressedSize,
                        size: $0.size, entries: $0.entryCount, createdBy: $0.history?.createdBy, created: $0.history?.created)
                },
                size: image.layers.reduce(0) { $0 + $1.size }, entries: image.layers.reduce(0) { $0 + $1.entryCount })
        }
        skipped = a.skipped.map {
            Skipped(
                digest: $0.descriptor.digest.description, mediaType: $0.descriptor.mediaType.rawValue,
                platform: $0.platform?.description, reason: $0.reason.rawValue)
        }
        problems = a.problems.map(\.description)
    }
}
