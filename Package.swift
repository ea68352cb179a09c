// swift-tools-version: 6.0
//
// imgtool: inspect, verify and ship container image archives.
// No package dependencies: the toolchain, the system zlib and libzstd and, on Linux, OpenSSL's libcrypto.
//
// One module per layer; a module may import only the modules below it, and the dependency lists
// here are what makes the compiler hold every file to that:
//
//     imgtool (the CLI: parses, composes, prints)
//       ├── Push          archive → registry in one pass    → ImageArchive, Registry, Gzip, Codec, OCI, ByteIO
//       │     └── Registry    the OCI distribution protocol, HTTP(S) → OCI, ByteIO
//       ├── Ship          transport over the system ssh          → OCI, ByteIO
//       └── ImageVerify   merged filesystem, every check    → ImageArchive, Tar, OCI, ByteIO
//             └── ImageArchive  the single pass, resolving, pack → Tar, Gzip, Zstd, Codec, OCI, ByteIO
//                   ├── Tar         tar reader and writer spans  → ByteIO
//                   ├── Gzip        streaming zlib               → Codec, ByteIO, CZlib
//                   ├── Zstd        streaming libzstd            → Codec, ByteIO, CZstd
//                   ├── Codec       compression formats, the codec seam → ByteIO
//                   └── OCI         the wire model: Codable, no I/O (imports nothing)
//     ByteIO (sources, sinks, files, mapping, SHA-256, platform shims) → CLibCrypto on Linux

import PackageDescription

let upcoming: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")]
/// Each module's folder has a README saying what it owns and what it may not import.
let readme = ["README.md"]

let package = Package(
    name: "imgtool",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "imgtool", targets: ["imgtool"]),
        .library(name: "ByteIO", targets: ["ByteIO"]),
        .library(name: "Gzip", targets: ["Gzip"]),
        .library(name: "Zstd", targets: ["Zstd"]),
        .library(name: "Tar", targets: ["Tar"]),
        .library(name: "OCI", targets: ["OCI"]),
        .library(name: "ImageArchive", targets: ["ImageArchive"]),
        .library(name: "ImageVerify", targets: ["ImageVerify"]),
        .library(name: "Ship", targets: ["Ship"]),
        .library(name: "Registry", targets: ["Registry"]),
        .library(name: "Push", targets: ["Push"]),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]
        ),
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "ByteIO",
            dependencies: [.target(name: "CLibCrypto", condition: .when(platforms: [.linux]))],
            exclude: readme,
            swiftSettings: upcoming
        ),
        .target(name: "Codec", dependencies: ["ByteIO"], exclude: readme, swiftSettings: upcoming),
        .target(name: "Gzip", dependencies: ["Codec", "ByteIO", "CZlib"], exclude: readme, swiftSettings: upcoming),
        .target(name: "Zstd", dependencies: ["Codec", "ByteIO", "CZstd"], exclude: readme, swiftSettings: upcoming),
        .target(name: "Tar", dependencies: ["ByteIO"], exclude: readme, swiftSettings: upcoming),
        .target(name: "OCI", exclude: readme, swiftSettings: upcoming),
        .target(
            name: "ImageArchive",
            dependencies: ["Tar", "Gzip", "Zstd", "Codec", "OCI", "ByteIO"],
            exclude: readme,
            swiftSettings: upcoming
        ),
        .target(
            name: "ImageVerify", dependencies: ["ImageArchive", "Tar", "Codec", "OCI", "ByteIO"], exclude: readme, swiftSettings: upcoming),
        .target(name: "Ship", dependencies: ["OCI", "ByteIO"], exclude: readme, swiftSettings: upcoming),
        .target(name: "Registry", dependencies: ["OCI", "ByteIO"], exclude: readme, swiftSettings: upcoming),
        .target(
            name: "Push", dependencies: ["ImageArchive", "Registry", "Gzip", "Codec", "OCI", "ByteIO"], exclude: readme,
            swiftSettings: upcoming),
        .executableTarget(
            name: "imgtool",
            dependencies: ["ImageVerify", "ImageArchive", "Ship", "Push", "Registry", "Tar", "Gzip", "Zstd", "Codec", "OCI", "ByteIO"],
            exclude: readme,
            swiftSettings: upcoming
        ),
        // Tests: one target per module, through its public and `package` API (a few files
        // `@testable import` an internal, and say which); CLITests runs the built `imgtool`.
        // TestSupport holds the helpers they share (a regular target: it must not import Testing).
        .target(name: "TestSupport", dependencies: ["ByteIO", "OCI"], path: "Tests/TestSupport", swiftSettings: upcoming),
        .testTarget(name: "ByteIOTests", dependencies: ["ByteIO", "TestSupport"], swiftSettings: upcoming),
        .testTarget(name: "CodecTests", dependencies: ["Codec", "TestSupport"], swiftSettings: upcoming),
        .testTarget(name: "GzipTests", dependencies: ["Gzip", "Codec", "ByteIO", "TestSupport"], swiftSettings: upcoming),
        .testTarget(name: "ZstdTests", dependencies: ["Zstd", "Codec", "ByteIO", "TestSupport"], swiftSettings: upcoming),
        .testTarget(name: "TarTests", dependencies: ["Tar", "ByteIO", "TestSupport"], swiftSettings: upcoming),
        .testTarget(name: "OCITests", dependencies: ["OCI"], swiftSettings: upcoming),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "TestSupport"], swiftSettings: upcoming),
        // CZlib: the golden pack digest names the zlib it was recorded with (`zlibVersion()`).
        .testTarget(
            name: "ImageArchiveTests",
            dependencies: ["ImageArchive", "Tar", "Gzip", "Zstd", "Codec", "OCI", "ByteIO", "CZlib", "TestSupport"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "ImageVerifyTests",
            dependencies: ["ImageVerify", "ImageArchive", "Tar", "Codec", "OCI", "ByteIO", "TestSupport"],
            swiftSettings: upcoming
        ),
        // Gzip, Zstd: chunks must start where imgtool's gzip members and zstd frames start.
        .testTarget(
            name: "ShipTests", dependencies: ["Ship", "Gzip", "Zstd", "Codec", "OCI", "ByteIO", "TestSupport"], swiftSettings: upcoming),
        // imgtool: built with the tests. ImageArchive, Gzip: what the binary prints, checked
        // against the library's own reading of the same files.
        .testTarget(
            name: "CLITests",
            dependencies: ["imgtool", "ImageArchive", "Gzip", "OCI", "ByteIO", "TestSupport"],
            swiftSettings: upcoming
        ),
    ],
    swiftLanguageModes: [.v6]
)
