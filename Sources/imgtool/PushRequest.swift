import ByteIO
import Foundation
import Push
import Registry

/// What `imgtool push` is asked to do, from its command line.
struct PushRequest {
    /// The checks of `verify` (the same options).
    var checks: VerifyRequest
    /// Whether the checks run (not with `--no-verify`).
    var verify: Bool
    /// The archive, or `-`.
    var path: String
    /// Where it goes.
    var reference: ImageReference
    /// `--insecure`: plain HTTP.
    var plainHTTP: Bool
    /// `--ca-cert`.
    var caCertificate: String?
    /// `--username` (with `--password-stdin`).
    var username: String?
    /// The push's settings.
    var options: PushOptions
    /// The cache file, `nil` with `--no-cache`.
    var cachePath: String?

    /// Reads `parsed` (see ``PushCommand/spec``).
    ///
    /// - Throws: A ``UsageError`` (exit 64).
    init(_ parsed: ParsedArguments, spec: CommandSpec) throws(UsageError) {
        checks = try VerifyRequest(parsed, spec: spec)
        verify = !parsed.flag("no-verify")
        if !verify {
            let given = ["arch", "require", "strict-elf", "prisma", "no-prisma", "policy", "junit"]
                .filter { parsed.flag($0) || parsed.value($0) != nil }
            if let first = given.first {
                throw UsageError(.custom("--no-verify skips the checks, so --\(first) would be ignored; drop one of them"), spec: spec)
            }
        }
        path = parsed.positionals[0]
        guard parsed.positionals.count > 1 else { throw UsageError(.missingArgument("reference"), spec: spec) }
        do { reference = try ImageReference(parsing: parsed.positionals[1]) } catch {
            throw UsageError(.custom("\(error)"), spec: spec)
        }
        plainHTTP = parsed.flag("insecure")
        caCertificate = parsed.value("ca-cert")
        if plainHTTP, let ca = caCertificate {
            throw UsageError(.custom("--insecure uses plain HTTP, so --ca-cert \(ca) would be ignored; drop one of them"), spec: spec)
        }
        username = parsed.value("username")
        let passwordStdin = parsed.flag("password-stdin")
        if (username != nil) != passwordStdin {
            throw UsageError(.custom("--username and --password-stdin go together: the password is read from stdin"), spec: spec)
        }
        if passwordStdin && path == "-" {
            throw UsageError(.custom("--password-stdin reads stdin, so the archive cannot come from it: give a file"), spec: spec)
        }
        options = PushOptions()
        options.mountFrom = parsed.all("from")
        if let s = parsed.value("chunk-size") {
            guard let n = ShipRequest.size(s), n >= 64 << 10, n <= 1 << 30 else {
                throw UsageError(.invalidValue(value: s, label: "--chunk-size <size>", help: "64K to 1G, e.g. 8M"), spec: spec)
            }
            options.chunkSize = n
        }
        if let text = parsed.value("level") {
            guard let level = Int32(text), (1...9).contains(level) else {
                throw UsageError(.invalidValue(value: text, label: "--level <level>", help: "1 (fastest) to 9 (smallest)"), spec: spec)
            }
            options.level = level
        }
        if let text = parsed.value("threads") {
            guard let n = Int(text), (1...256).contains(n) else {
                throw UsageError(.invalidValue(value: text, label: "--threads <n>", help: "1 to 256"), spec: spec)
            }
            options.threads = n
        }
        cachePath = parsed.flag("no-cache") ? nil : PushCache.defaultPath()
    }

    /// The credentials: `--username` with the password read from stdin, else Docker's config.
    func credentials() throws(RegistryError) -> RegistryCredentials? {
        if let username {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            var password = String(decoding: data, as: UTF8.self)
            while password.last == "\n" || password.last == "\r" { password.removeLast() }
            return RegistryCredentials(username: username, password: password, source: "--username")
        }
        return try RegistryCredentials.lookup(registry: reference.registry)
    }
}
