import Foundation

// Sources: the kernel's `uname -m` names (arch/*/Makefile UTS_MACHINE) and the GOARCH/variant
// names of the OCI image index (image-spec `image-index.md`, "platform"); the same mapping as
// containerd's `platforms.Normalize` and moby's `platforms.DefaultSpec`.

extension Platform {
    /// The platform of a machine, from `uname -s` and `uname -m`.
    ///
    /// `x86_64` is `amd64`, `aarch64`/`arm64`/`armv8b` are `arm64`, `armv7l` and `armv8l`
    /// (a 32-bit ARM kernel or personality) are `arm/v7`, `armv6l` is `arm/v6`, `i386`…`i686`
    /// are `386`; `ppc64le`, `s390x`, `riscv64`, `mips64` keep their names.
    /// - Parameters:
    ///   - kernel: `uname -s` (`Linux`, `Darwin`); its lowercase is the OS.
    ///   - machine: `uname -m`.
    /// - Returns: The platform, or `nil` for an empty machine name.
    public init?(kernel: String, machine: String) {
        let m = machine.trimmingCharacters(in: .whitespaces).lowercased()
        guard !m.isEmpty else { return nil }
        let os = kernel.trimmingCharacters(in: .whitespaces).lowercased()
        let system = os.isEmpty ? "linux" : os
        switch m {
        case "x86_64", "amd64": self.init(os: system, architecture: "amd64")
        case "aarch64", "arm64", "armv8b": self.init(os: system, architecture: "arm64")
        case "armv7l", "armv7", "armv8l": self.init(os: system, architecture: "arm", variant: "v7")
        case "armv6l", "armv6": self.init(os: system, architecture: "arm", variant: "v6")
        case "armv5tel", "armv5l": self.init(os: system, architecture: "arm", variant: "v5")
        case "i386", "i486", "i586", "i686", "x86": self.init(os: system, architecture: "386")
        case "ppc64le": self.init(os: system, architecture: "ppc64le")
        case "ppc64": self.init(os: system, architecture: "ppc64")
        case "s390x": self.init(os: system, architecture: "s390x")
        case "riscv64": self.init(os: system, architecture: "riscv64")
        case "mips64": self.init(os: system, architecture: "mips64")
        case "loongarch64": self.init(os: system, architecture: "loong64")
        default: self.init(os: system, architecture: m)
        }
    }
}
