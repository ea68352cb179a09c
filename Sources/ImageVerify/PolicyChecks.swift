import ByteIO
import Foundation
import ImageArchive
import OCI
import Tar

/// The checks a ``Policy`` adds to `verify`, run on the merged filesystem and the config.
public enum PolicyChecks {
    /// Runs the policy's file and metadata tests.
    /// - Parameters:
    ///   - policy: The policy.
    ///   - image: The image.
    ///   - fs: Its merged filesystem.
    /// - Returns: One result per expectation.
    public static func run(_ policy: Policy, image: ArchiveImage, filesystem fs: MergedFilesystem) -> [CheckResult] {
        var out: [CheckResult] = []
        let config = image.config.config
        let workdir = config?.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        for t in policy.fileExistenceTests ?? [] {
            out.append(fileTest(t, workdir: workdir, fs))
        }
        guard let m = policy.metadataTest else { return out }
        let env = config?.env ?? []
        func envValue(_ key: String) -> String? {
            env.first(where: { $0.hasPrefix(key + "=") }).map { String($0.dropFirst(key.count + 1)) }
        }
        for kv in m.envVars ?? [] {
            let found = envValue(kv.key)
            let ok = found != nil && matches(found ?? "", kv)
            out.append(
                result(
                    "metadata-env", ok, subject: kv.key, expected: describe(kv), found: found.map { "\(kv.key)=\($0)" } ?? "not set",
                    message: ok
                        ? "\(kv.key) is set as expected"
                        : "environment variable \(kv.key) is \(found == nil ? "not set" : "set to '\(found!)'")"))
        }
        for kv in m.unboundEnvVars ?? [] {
            let found = envValue(kv.key)
            out.append(
                result(
                    "metadata-env-unset", found == nil, subject: kv.key, expected: "\(kv.key) not set",
                    found: found.map { "\(kv.key)=\($0)" } ?? "not set",
                    message: found == nil ? "\(kv.key) is not set" : "environment variable \(kv.key) must not be set"))
        }
        let ports = (config?.exposedPorts ?? [:]).keys.sorted()
        func exposed(_ p: String) -> Bool { ports.contains(p) || ports.contains(p + "/tcp") }
        for p in m.exposedPorts ?? [] {
            out.append(
                result(
                    "metadata-port", exposed(p), subject: p, expected: "\(p) exposed",
                    found: ports.isEmpty ? "no exposed ports" : ports.joined(separator: ", "),
                    message: exposed(p) ? "port \(p) is exposed" : "port \(p) is not exposed"))
        }
        for p in m.unexposedPorts ?? [] {
            out.append(
                result(
                    "metadata-port-unexposed", !exposed(p), subject: p, expected: "\(p) not exposed", found: ports.joined(separator: ", "),
                    message: exposed(p) ? "port \(p) must not be exposed" : "port \(p) is not exposed"))
        }
        if let e = m.entrypoint {
            let found = config?.entrypoint ?? []
            out.append(
                result(
                    "metadata-entrypoint", found == e, expected: "\(e)", found: "\(found)",
                    message: found == e ? "Entrypoint is \(e)" : "Entrypoint is \(found), not \(e)"))
        }
        if let c = m.cmd {
            let found = config?.cmd ?? []
            out.append(
                result(
                    "metadata-cmd", found == c, expected: "\(c)", found: "\(found)",
                    message: found == c ? "Cmd is \(c)" : "Cmd is \(found), not \(c)"))
        }
        if let w = m.workdir {
            let found = config?.workingDir ?? ""
            out.append(
                result(
                    "metadata-workdir", found == w, expected: w, found: found.isEmpty ? "(none)" : found,
                    message: found == w ? "WorkingDir is \(w)" : "WorkingDir is '\(found)', not '\(w)'"))
        }
        let volumes = (config?.volumes ?? [:]).keys.sorted()
        for v in m.volumes ?? [] {
            out.append(
                result(
                    "metadata-volume", volumes.contains(v), subject: v, expected: "\(v) declared", found: volumes.joined(separator: ", "),
                    message: volumes.contains(v) ? "volume \(v) is declared" : "volume \(v) is not declared"))
        }
        for v in m.unmountedVolumes ?? [] {
            out.append(
                result(
                    "metadata-volume-unmounted", !volumes.contains(v), subject: v, expected: "\(v) not declared",
                    found: volumes.joined(separator: ", "),
                    message: volumes.contains(v) ? "volume \(v) must not be declared" : "volume \(v) is not declared"))
        }
        let labels = config?.labels ?? [:]
        for kv in m.labels ?? [] {
            let found = labels[kv.key]
            let ok = found != nil && matches(found ?? "", kv)
            out.append(
                result(
                    "metadata-label", ok, subject: kv.key, expected: describe(kv), found: found.map { "\(kv.key)=\($0)" } ?? "not set",
                    message: ok ? "label \(kv.key) is set as expected" : "label \(kv.key) is \(found == nil ? "not set" : "'\(found!)'")"))
        }
        let user = config?.user ?? ""
        if let u = m.user {
            out.append(
                result(
                    "metadata-user", user == u, expected: u, found: user.isEmpty ? "(none: root)" : user,
                    message: user == u ? "User is \(u)" : "User is '\(user)', not '\(u)'"))
        }
        if m.userNotRoot == true {
            let name = user.split(separator: ":").first.map(String.init) ?? ""
            let root = name.isEmpty || name == "root" || name == "0"
            out.append(
                result(
                    "metadata-user-not-root", !root, expected: "a non-root user", found: user.isEmpty ? "(none: root)" : user,
                    message: root ? "the container runs as root" : "the container runs as \(user)",
                    fix: root ? "add `USER node` (or another unprivileged user) to the runtime stage" : nil))
        }
        if m.healthcheck == true {
            let test = config?.healthcheck?.test ?? []
            let present = !test.isEmpty && test.first != "NONE"
            out.append(
                result(
                    "metadata-healthcheck", present, expected: "a HEALTHCHECK", found: present ? test.joined(separator: " ") : "none",
                    message: present ? "a health check is configured" : "no health check is configured",
                    fix: present ? nil : "add a HEALTHCHECK instruction to the Dockerfile"))
        }
        return out
    }

    static func fileTest(_ t: Policy.FileExistenceTest, workdir: String, _ fs: MergedFilesystem) -> CheckResult {
        let path = t.path.hasPrefix("/") ? t.path : (workdir == "/" ? "/" : workdir + "/") + t.path
        let name = t.name ?? path
        let lookup = fs.lookup(path)
        let shouldExist = t.shouldExist ?? true
        guard let node = lookup.node else {
            return result(
                "file-existence", !shouldExist, subject: name, expected: shouldExist ? "\(path) exists" : "\(path) absent",
                found: "absent", message: shouldExist ? (lookup.reason ?? "\(path) does not exist") : "\(path) does not exist")
        }
        if !shouldExist {
            return result(
                "file-existence", false, subject: name, expected: "\(path) absent", found: "present (layer \(node.layer))",
                message: "\(path) exists but must not")
        }
        var problems: [String] = []
        var found: [String] = []
        let perms = permissionString(node)
        if let p = t.permissions {
            found.append(perms)
            if p != perms { problems.append("permissions are \(perms), not \(p)") }
        }
        if let uid = t.uid {
            found.append("uid \(node.uid)")
            if UInt32(clamping: uid) != node.uid { problems.append("uid is \(node.uid), not \(uid)") }
        }
        if let gid = t.gid {
            found.append("gid \(node.gid)")
            if UInt32(clamping: gid) != node.gid { problems.append("gid is \(node.gid), not \(gid)") }
        }
        if let who = t.isExecutableBy {
            let mask: UInt32 =
                switch who {
                case "owner": 0o100
                case "group": 0o010
                case "other": 0o001
                default: 0o111
                }
            if node.mode & mask == 0 { problems.append("not executable by \(who)") }
        }
        var expected = ["\(path) exists"]
        if let p = t.permissions { expected.append(p) }
        if let u = t.uid { expected.append("uid \(u)") }
        if let g = t.gid { expected.append("gid \(g)") }
        return result(
            "file-existence", problems.isEmpty, subject: name, expected: expected.joined(separator: ", "),
            found: found.isEmpty ? "present" : found.joined(separator: ", "),
            message: problems.isEmpty ? "\(path) exists as expected" : "\(path): " + problems.joined(separator: "; "))
    }

    /// `-rwxr-xr-x`, as container-structure-test compares permissions.
    public static func permissionString(_ n: FilesystemNode) -> String {
        var s = String(n.kind == .hardlink ? "-" : n.kind.letter)
        let bits: [(UInt32, Character)] = [
            (0o400, "r"), (0o200, "w"), (0o100, "x"), (0o040, "r"), (0o020, "w"), (0o010, "x"), (0o004, "r"), (0o002, "w"), (0o001, "x"),
        ]
        for (i, (bit, c)) in bits.enumerated() {
            var ch: Character = n.mode & bit != 0 ? c : "-"
            if i == 2 && n.mode & 0o4000 != 0 { ch = ch == "x" ? "s" : "S" }
            if i == 5 && n.mode & 0o2000 != 0 { ch = ch == "x" ? "s" : "S" }
            if i == 8 && n.mode & 0o1000 != 0 { ch = ch == "x" ? "t" : "T" }
            s.append(ch)
        }
        return s
    }

    static func matches(_ value: String, _ kv: Policy.KeyValue) -> Bool {
        guard let wanted = kv.value else { return true }
        guard kv.isRegex == true else { return value == wanted }
        guard let re = try? NSRegularExpression(pattern: "^(?:" + wanted + ")$") else { return false }
        return re.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
    }

    static func describe(_ kv: Policy.KeyValue) -> String {
        guard let v = kv.value else { return "\(kv.key) set" }
        return kv.isRegex == true ? "\(kv.key) matching /\(v)/" : "\(kv.key)=\(v)"
    }

    static func result(
        _ id: String, _ ok: Bool, subject: String? = nil, expected: String, found: String, message: String, fix: String? = nil
    ) -> CheckResult {
        CheckResult(
            id: id, status: ok ? .passed : .failed, expected: expected, found: found, message: message, fix: ok ? nil : fix,
            subject: subject)
    }
}
