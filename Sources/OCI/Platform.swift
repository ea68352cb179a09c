// Source: https://github.com/opencontainers/image-spec/blob/main/specs-go/v1/index.go (Platform)

/// The platform an image runs on: `os/architecture[/variant]`.
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    /// The CPU architecture, with GOARCH values (`amd64`, `arm64`, `arm`, ...).
    public var architecture: String
    /// The operating system, with GOOS values (`linux`, `windows`).
    public var os: String
    /// The CPU variant (`v7`, `v8`), if any.
    public var variant: String?
    /// The operating system version, if any.
    public var osVersion: String?
    /// Required operating system features, if any.
    public var osFeatures: [String]?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    /// Creates a platform.
    /// - Parameters:
    ///   - os: The operating system.
    ///   - architecture: The CPU architecture.
    ///   - variant: The CPU variant.
    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Parses `os/arch[/variant]`, or a bare architecture (the OS is then `linux`).
    ///
    /// Architecture aliases are normalised as Docker does: `x86_64` and `x86-64` → `amd64`,
    /// `aarch64` → `arm64`, `armhf` → `arm/v7`, `i386` → `386`.
    /// - Parameter string: The platform text.
    /// - Returns: The platform, or `nil` when the text is empty or has more than three parts.
    public init?(parsing string: String) {
        let parts = string.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        if parts.count == 1 {
            self.init(os: "linux", architecture: parts[0])
        } else {
            self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
        }
        normalise()
    }

    private mutating func normalise() {
        os = os.lowercased()
        switch architecture.lowercased() {
        case "x86_64", "x86-64", "amd64": architecture = "amd64"
        case "aarch64", "arm64":
            architecture = "arm64"
            if variant == "8" { variant = "v8" }
        case "armhf":
            architecture = "arm"
            variant = variant ?? "v7"
        case "armel":
            architecture = "arm"
            variant = variant ?? "v6"
        case "i386", "i686", "386": architecture = "386"
        case let other: architecture = other
        }
    }

    /// `os/architecture[/variant]`.
    public var description: String {
        variant.map { "\(os)/\(architecture)/\($0)" } ?? "\(os)/\(architecture)"
    }

    /// Whether an image of this platform satisfies a request for `wanted`.
    ///
    /// OS and architecture must be equal; a variant is compared only when `wanted` names one,
    /// and arm64's `v8` is the default when the image names none.
    /// - Parameter wanted: The requested platform.
    public func matches(_ wanted: Platform) -> Bool {
        guard os == wanted.os, architecture == wanted.architecture else { return false }
        guard let v = wanted.variant else { return true }
        let mine = variant ?? (architecture == "arm64" ? "v8" : nil)
        return mine == v
    }

    /// Whether this is buildkit's placeholder for attestation manifests.
    public var isUnknown: Bool { os == "unknown" || architecture == "unknown" }
}
