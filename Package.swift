// swift-tools-version: 6.0
//
// imgtool: inspect, verify and ship container image archives.
// No package dependencies: the toolchain, the system zlib and, on Linux, OpenSSL's libcrypto.

import PackageDescription

let upcoming: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")]

let package = Package(
    name: "imgtool",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "imgtool", targets: ["imgtool"]),
        .library(name: "ImageTar", targets: ["ImageTar"]),
        .library(name: "Gzip", targets: ["Gzip"]),
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
            name: "Gzip",
            dependencies: ["CZlib"],
            swiftSettings: upcoming
        ),
        .target(
            name: "ImageTar",
            dependencies: [
                "Gzip",
                .target(name: "CLibCrypto", condition: .when(platforms: [.linux])),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "Ship",
            dependencies: ["ImageTar", "Gzip"],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "imgtool",
            dependencies: ["ImageTar", "Gzip", "Ship"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "ImageTarTests",
            dependencies: ["ImageTar", "Gzip", "Ship", "imgtool"],
            swiftSettings: upcoming
        ),
    ],
    swiftLanguageModes: [.v6]
)
