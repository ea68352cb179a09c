// Source: prisma/prisma packages/get-platform/src/getPlatform.ts @6.19.x (parseDistro,
// computeLibSSLSpecificPaths, getSSLVersion, findLibSSL, parseLibSSLVersion,
// getBinaryTargetForCurrentPlatformInternal).
import ByteIO
import ImageArchive
import OCI
import Tar

/// The Prisma binary target an image needs, computed offline from its merged filesystem and
/// platform exactly as Prisma's `getPlatform` computes it at runtime, with the facts that led to it.
public struct PrismaTarget: Sendable, Equatable, Codable {
    /// The binary target, such as `debian-openssl-3.0.x` or `linux-musl-arm64-openssl-3.0.x`.
    public var target: String
    /// Prisma's target distro: `debian`, `rhel`, `musl`, `nixos`, `arm`, or `nil` (unknown, treated as debian).
    public var targetDistro: String?
    /// Prisma's family distro (`debian`, `rhel`, `alpine`, `arch`, `nixos`), which picks the libssl dirs.
    public var familyDistro: String?
    /// The os-release file read, as resolved (`/etc/os-release -> /usr/lib/os-release`), if any.
    public var osReleasePath: String?
    /// `ID` from os-release, lower-cased.
    public var osReleaseID: String?
    /// `ID_LIKE` from os-release, lower-cased.
    public var osReleaseIDLike: String?
    /// The OpenSSL version Prisma uses: `1.0.x`, `1.1.x` or `3.0.x`.
    public var openSSL: String
    /// The libssl file the version came from (absolute path), if one was found.
    public var libsslFile: String?
    /// Node's `process.arch` for the image: `x64`, `arm64`, `arm`, ...
    public var arch: String
    /// `uname -m` for the image: `x86_64`, `aarch64`, ...
    public var unameMachine: String
    /// The directories searched for `libssl.so.*`, in order.
    public var searchedLibSSLDirs: [String]
    /// Warnings Prisma would print, and places where the offline computation is uncertain.
    public var warnings: [String]

    /// The os-release ID and libssl facts in one sentence, for messages.
    public var reason: String {
        var parts: [String] = []
        if let osReleasePath {
            var os = "\(osReleasePath) says ID=\(osReleaseID ?? "(none)")"
            if let osReleaseIDLike, !osReleaseIDLike.isEmpty { os += " ID_LIKE=\"\(osReleaseIDLike)\"" }
            parts.append(os)
        } else {
            parts.append("/etc/os-release is missing (Prisma then assumes debian)")
        }
        if let libsslFile {
            parts.append("\(libsslFile) means OpenSSL \(openSSL)")
        } else {
            parts.append("no libssl.so.* found (Prisma then assumes OpenSSL \(openSSL))")
        }
        parts.append("architecture \(arch)")
        return parts.joined(separator: ", ")
    }

    /// Computes the target.
    /// - Parameters:
    ///   - filesystem: The image's merged filesystem.
    ///   - platform: The image's platform (from its config).
    /// - Returns: The target and the facts behind it.
    public static func compute(filesystem: MergedFilesystem, platform: Platform) -> PrismaTarget {
        var warnings: [String] = []
        let (arch, uname) = nodeArch(platform)

        // Distro: Prisma reads only /etc/os-release (following its symlink).
        var osReleasePath: String? = nil
        var id = ""
        var idLike = ""
        switch filesystem.lookup("/etc/os-release") {
        case .found(let node):
            osReleasePath = node.path == "/etc/os-release" ? node.path : "/etc/os-release -> \(node.path)"
            if let bytes = filesystem.bytes(atOptional: node.content) {
                let text = String(decoding: bytes, as: UTF8.self)
                id = field("ID", in: text) ?? ""
                idLike = field("ID_LIKE", in: text) ?? ""
            } else {
                warnings.append("\(node.path) exists but its content was not captured; distro taken as unknown")
            }
        default:
            if let other = filesystem.content("/usr/lib/os-release") {
                let otherID = field("ID", in: String(decoding: other, as: UTF8.self)) ?? ""
                warnings.append(
                    "/etc/os-release is missing: Prisma reads only that file, so it falls back to debian (/usr/lib/os-release says ID=\(otherID))"
                )
            }
        }
        let (targetDistro, familyDistro) = distro(id: id, idLike: idLike)

        // libssl: distro-specific dirs, then what `ldconfig -p` would list (approximated by the
        // multiarch dirs ld.so.conf.d names on glibc systems), then the generic dirs.
        let specific: [String]
        switch familyDistro {
        case "musl": specific = ["/lib"]  // never reached: Prisma sets familyDistro "alpine" for Alpine
        case "debian": specific = ["/usr/lib/\(uname)-linux-gnu", "/lib/\(uname)-linux-gnu"]
        case "rhel": specific = ["/lib64", "/usr/lib64"]
        default: specific = []
        }
        let ldconfig = ["/usr/lib/\(uname)-linux-gnu", "/lib/\(uname)-linux-gnu", "/usr/local/lib"].filter { !specific.contains($0) }
        let generic = ["/lib64", "/usr/lib64", "/lib", "/usr/lib"]
        var libssl: String? = nil
        var libsslFile: String? = nil
        if let (dir, name) = findLibSSL(in: specific, filesystem), let v = parseLibSSLVersion(name) {
            libssl = v
            libsslFile = dir + "/" + name
        } else if let (dir, name) = findLibSSL(in: ldconfig, filesystem), let v = parseLibSSLVersion(name) {
            libssl = v
            libsslFile = dir + "/" + name
        } else if let (dir, name) = findLibSSL(in: generic, filesystem), let v = parseLibSSLVersion(name) {
            libssl = v
            libsslFile = dir + "/" + name
        }

        if !["x64", "arm64"].contains(arch) {
            warnings.append(
                "Prisma only officially supports Linux on amd64 (x86_64) and arm64 (aarch64) system architectures (detected \"\(arch)\" instead)."
            )
        }
        if libssl == nil {
            warnings.append(
                "Prisma failed to detect the libssl/openssl version to use, and may not work as expected. Defaulting to \"openssl-1.1.x\".")
        }
        let ssl = libssl ?? "1.1.x"
        let target: String
        if targetDistro == "nixos" {
            target = "linux-nixos"
        } else if arch == "arm64" {
            target = "\(targetDistro == "musl" ? "linux-musl-arm64" : "linux-arm64")-openssl-\(ssl)"
        } else if arch == "arm" {
            target = "linux-arm-openssl-\(ssl)"
        } else if targetDistro == "musl" {
            target = libssl == nil || ssl.hasPrefix("1.") ? "linux-musl" : "linux-musl-openssl-\(ssl)"
        } else {
            target = "\(targetDistro ?? "debian")-openssl-\(ssl)"
        }
        return PrismaTarget(
            target: target, targetDistro: targetDistro, familyDistro: familyDistro, osReleasePath: osReleasePath,
            osReleaseID: id.isEmpty ? nil : id, osReleaseIDLike: idLike.isEmpty ? nil : idLike, openSSL: ssl, libsslFile: libsslFile,
            arch: arch, unameMachine: uname, searchedLibSSLDirs: specific + ldconfig + generic.filter { !specific.contains($0) },
            warnings: warnings)
    }

    /// Node's `process.arch` and `uname -m` for an image platform.
    /// - Parameter platform: The image platform.
    public static func nodeArch(_ platform: Platform) -> (arch: String, uname: String) {
        switch platform.architecture {
        case "amd64": ("x64", "x86_64")
        case "arm64": ("arm64", "aarch64")
        case "arm": ("arm", platform.variant == "v6" ? "armv6l" : platform.variant == "v5" ? "armv5tel" : "armv7l")
        case "386": ("ia32", "i686")
        case "ppc64le": ("ppc64", "ppc64le")
        case "s390x": ("s390x", "s390x")
        case "riscv64": ("riscv64", "riscv64")
        case "loong64": ("loong64", "loongarch64")
        case "mips64le": ("mips64el", "mips64")
        case let other: (other, other)
        }
    }

    /// `parseDistro`: ID and ID_LIKE to Prisma's target and family distro.
    /// - Parameters:
    ///   - id: `ID`, lower-cased.
    ///   - idLike: `ID_LIKE`, lower-cased.
    public static func distro(id: String, idLike: String) -> (target: String?, family: String?) {
        switch id {
        case "alpine": return ("musl", "alpine")
        case "raspbian": return ("arm", "debian")
        case "nixos": return ("nixos", "nixos")
        case "debian", "ubuntu": return ("debian", "debian")
        case "rhel", "centos", "fedora": return ("rhel", "rhel")
        default: break
        }
        if idLike.contains("debian") || idLike.contains("ubuntu") { return ("debian", "debian") }
        if id == "arch" || idLike.contains("arch") { return ("debian", "arch") }
        if ["centos", "fedora", "rhel", "suse"].contains(where: { idLike.contains($0) }) { return ("rhel", "rhel") }
        return (nil, nil)
    }

    /// The value of `KEY=` in os-release text as Prisma's regex `^KEY="?([^"\n]*)"?$` (case-insensitive,
    /// first match) reads it, lower-cased.
    static func field(_ key: String, in text: String) -> String? {
        let prefix = key.lowercased() + "="
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.lowercased().hasPrefix(prefix) else { continue }
            var value = Substring(line.dropFirst(prefix.count))
            if value.hasPrefix("\"") { value = value.dropFirst() }
            if value.hasSuffix("\"") { value = value.dropLast() }
            if value.contains("\"") { continue }
            return value.lowercased()
        }
        return nil
    }

    /// `findLibSSLInLocations`: the first directory with a `libssl.so.*` (not `libssl.so.0*`), and the
    /// file's name (the first in sorted order, as Node's `readdir` returns them).
    static func findLibSSL(in dirs: [String], _ filesystem: MergedFilesystem) -> (String, String)? {
        for dir in dirs {
            guard let entries = filesystem.list(dir) else { continue }
            if let hit = entries.first(where: { $0.name.hasPrefix("libssl.so.") && !$0.name.hasPrefix("libssl.so.0") }) {
                return (dir, hit.name)
            }
        }
        return nil
    }

    /// `parseLibSSLVersion`: `libssl.so.3` → `3.0.x`, `libssl.so.1.1` → `1.1.x`, `libssl.so.1.0.2` → `1.0.x`;
    /// `nil` for versions Prisma does not support.
    /// - Parameter name: A file name.
    public static func parseLibSSLVersion(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        let marker = Array("libssl.so.".utf8)
        guard bytes.count > marker.count else { return nil }
        for start in 0...(bytes.count - marker.count) where Array(bytes[start..<start + marker.count]) == marker {
            let i = start + marker.count
            guard i < bytes.count, (0x30...0x39).contains(bytes[i]) else { continue }
            let major = Character(UnicodeScalar(bytes[i]))
            var minor: Character = "0"
            if i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "."), (0x30...0x39).contains(bytes[i + 2]) {
                minor = Character(UnicodeScalar(bytes[i + 2]))
            }
            let version = major == "1" ? "1.\(minor).x" : "\(major).0.x"
            return ["1.0.x", "1.1.x", "3.0.x"].contains(version) ? version : nil
        }
        return nil
    }
}

extension MergedFilesystem {
    func bytes(atOptional location: ContentLocation?) -> [UInt8]? {
        location.flatMap { bytes(at: $0) }
    }
}
