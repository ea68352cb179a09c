import Foundation

/// A user name and password (or identity token) for a registry, and where they came from.
public struct RegistryCredentials: Sendable, Equatable {
    /// The user name.
    public var username: String
    /// The password or token.
    public var password: String
    /// Where they came from, for messages: `--username`, `~/.docker/config.json`,
    /// `docker-credential-pass`.
    public var source: String

    /// Credentials.
    public init(username: String, password: String, source: String) {
        self.username = username
        self.password = password
        self.source = source
    }

    /// The value of an `Authorization: Basic` header.
    public var basicAuthorization: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }

    /// Looks the registry up the way `docker push` does: `$DOCKER_CONFIG/config.json` (else
    /// `~/.docker/config.json`): its `credHelpers` entry for the registry, else its `auths`
    /// entry (base64 `user:password` in `auth`, or `username`/`password`), else its `credsStore`
    /// helper. A helper is `docker-credential-NAME get`, given the registry on stdin.
    ///
    /// - Parameters:
    ///   - registry: The registry as written in the reference (`docker.io` for Docker Hub).
    ///   - configPath: The config file (default: as above).
    /// - Returns: `nil` when the file does not exist or names nothing for the registry.
    /// - Throws: ``RegistryError/config(path:detail:)`` for a file that is not JSON;
    ///   ``RegistryError/credentialHelper(name:detail:)`` when a helper fails.
    public static func lookup(registry: String, configPath: String? = nil) throws(RegistryError) -> RegistryCredentials? {
        let path = configPath ?? defaultConfigPath()
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let config: DockerConfig
        do { config = try JSONDecoder().decode(DockerConfig.self, from: data) } catch {
            throw .config(path: path, detail: "not a Docker config file: \(error)")
        }
        let keys = candidateKeys(registry)
        if let helper = keys.lazy.compactMap({ config.credHelpers?[$0] }).first {
            return try fromHelper(helper, registry: registry)
        }
        for key in keys {
            guard let entry = config.auths?[key] else { continue }
            if let auth = entry.auth, !auth.isEmpty {
                guard let decoded = Data(base64Encoded: auth).flatMap({ String(data: $0, encoding: .utf8) }),
                    let colon = decoded.firstIndex(of: ":")
                else {
                    throw .config(path: path, detail: "auths.\(key).auth is not base64 of user:password")
                }
                return RegistryCredentials(
                    username: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...]), source: path)
            }
            if let user = entry.username, let password = entry.password {
                return RegistryCredentials(username: user, password: password, source: path)
            }
        }
        if let store = config.credsStore, !store.isEmpty {
            return try fromHelper(store, registry: registry)
        }
        return nil
    }

    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
    public static func defaultConfigPath() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let dir = environment["DOCKER_CONFIG"], !dir.isEmpty { return dir + "/config.json" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.docker/config.json"
    }

    /// The keys Docker may have stored a registry under: `host`, `https://host`, `http://host`,
    /// and for Docker Hub `https://index.docker.io/v1/`.
    static func candidateKeys(_ registry: String) -> [String] {
        if registry == "docker.io" {
            return ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "https://index.docker.io/v1", "registry-1.docker.io"]
        }
        return [
            registry, "https://\(registry)", "http://\(registry)", "https://\(registry)/", "https://\(registry)/v1/", "http://\(registry)/",
        ]
    }

    /// Runs `docker-credential-NAME get` with the registry on stdin.
    static func fromHelper(_ name: String, registry: String) throws(RegistryError) -> RegistryCredentials? {
        let server = registry == "docker.io" ? "https://index.docker.io/v1/" : registry
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["docker-credential-\(name)", "get"]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw .credentialHelper(name: name, detail: "cannot run it: \(error)")
        }
        // A helper that exits without reading (not installed: 127) must not end imgtool.
        try? input.fileHandleForWriting.write(contentsOf: Data(server.utf8))
        try? input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let said = String(decoding: out.isEmpty ? err : out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0 else {
            if process.terminationStatus == 127 { throw .credentialHelper(name: name, detail: "not found on PATH") }
            // What the helpers print for a registry they hold nothing for.
            if said.contains("credentials not found") { return nil }
            throw .credentialHelper(name: name, detail: "exit status \(process.terminationStatus): \(said)")
        }
        struct Answer: Decodable {
            var username: String
            var secret: String
            enum CodingKeys: String, CodingKey {
                case username = "Username"
                case secret = "Secret"
            }
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: out) else {
            throw .credentialHelper(name: name, detail: "its answer is not {\"Username\", \"Secret\"} JSON")
        }
        return RegistryCredentials(username: answer.username, password: answer.secret, source: "docker-credential-\(name)")
    }
}

/// The part of Docker's `config.json` that holds credentials.
struct DockerConfig: Decodable {
    struct Entry: Decodable {
        var auth: String?
        var username: String?
        var password: String?
    }
    var auths: [String: Entry]?
    var credHelpers: [String: String]?
    var credsStore: String?
}
