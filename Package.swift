// swift-tools-version: 6.0
//
// imgtool: inspect, verify and ship container image archives.
// No package dependencies: the toolchain, the system zlib and, on Linux, OpenSSL's libcrypto.
//
// One module per layer; a module may import only the modules below it, and the dependency lists
// here are what makes the compiler hold every file to that:
//
//     imgtool (the CLI: parses, composes, prints)
//       ├── Ship          transport over the system ssh          → OCI, ByteIO
//       └── ImageVerify   merged filesystem, every check    → ImageArchive, Tar, OCI, ByteIO
//             └── ImageArchive  the single pass, resolving, pack → Tar, Gzip, Codec, OCI, ByteIO
//                   ├── Tar         tar reader and writer spans  → ByteIO
//                   ├── Gzip        streaming zlib               → Codec, ByteIO, CZlib
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
        .library(name: "Tar", targets: ["Tar"]),
        .library(name: "OCI", targets: ["OCI"]),
        .library(name: "ImageArchive", targets: ["ImageArchive"]),
        .library(name: "ImageVerify", targets: ["ImageVerify"]),
        .library(name: "Ship", targets: ["Ship"]),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
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
        .target(name: "Tar", dependencies: ["ByteIO"], exclude: readme, swiftSettings: upcoming),
        .target(name: "OCI", exclude: readme, swiftSettings: upcoming),
        .target(
            name: "ImageArchive",
            dependencies: ["Tar", "Gzip", "Codec", "OCI", "ByteIO"],
            exclude: readme,
            swiftSettings: upcoming
        ),
        .target(name: "ImageVerify", dependencies: ["ImageArchive", "Tar", "OCI", "ByteIO"], exclude: readme, swiftSettings: upcoming),
        .target(name: "Ship", dependencies: ["OCI", "ByteIO"], exclude: readme, swiftSettings: upcoming),
        .executableTarget(
            name: "imgtool",
            dependencies: ["ImageVerify", "ImageArchive", "Ship", "Tar", "Gzip", "Codec", "OCI", "ByteIO"],
            exclude: readme,
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "ImageTarTests",
            dependencies: ["ImageVerify", "ImageArchive", "Ship", "Tar", "Gzip", "Codec", "OCI", "ByteIO", "imgtool"],
            swiftSettings: upcoming
        ),
    ],
    swiftLanguageModes: [.v6]
)
