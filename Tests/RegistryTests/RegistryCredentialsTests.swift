import Foundation
import Registry
import TestSupport
import Testing

/// Credentials from a Docker config file, as `docker login` writes it, and through a credential
/// helper (a script on the PATH, as docker-credential-pass or -osxkeychain would be).
@Suite struct RegistryCredentialsTests {
    @Test func fromAuths() throws {
        try TS.withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("config.json").path
            let auth = Data("alice:s3cr:et".utf8).base64EncodedString()
            try #"{"auths":{"https://127.0.0.1:5000":{"auth":"\#(auth)"},"other.io":{"username":"bob","password":"pw"}}}"#
                .write(toFile: path, atomically: true, encoding: .utf8)
            let a = try #require(try RegistryCredentials.lookup(registry: "127.0.0.1:5000", configPath: path))
            #expect(a.username == "alice")
            #expect(a.password == "s3cr:et")
            let b = try #require(try RegistryCredentials.lookup(registry: "other.io", configPath: path))
            #expect(b.username == "bob")
            #expect(try RegistryCredentials.lookup(registry: "nothere.io", configPath: path) == nil)
            #expect(try RegistryCredentials.lookup(registry: "x.io", configPath: dir.appendingPathComponent("none.json").path) == nil)
        }
    }

    @Test func damagedConfigNamesTheFile() throws {
        try TS.withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("config.json").path
            try "{not json".write(toFile: path, atomically: true, encoding: .utf8)
            #expect {
                _ = try RegistryCredentials.lookup(registry: "x.io", configPath: path)
            } throws: { "\($0)".contains(path) }
        }
    }

    @Test func fromCredentialHelper() throws {
        try TS.withTemporaryDirectory { dir in
            let helper = dir.appendingPathComponent("docker-credential-imgtooltest").path
            try """
            #!/bin/sh
            read server
            [ "$1" = get ] || exit 3
            if [ "$server" = "127.0.0.1:5000" ]; then echo '{"ServerURL":"127.0.0.1:5000","Username":"carol","Secret":"tok"}'; exit 0; fi
            echo "credentials not found in native keychain"; exit 1
            """.write(toFile: helper, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: helper)
            let path = dir.appendingPathComponent("config.json").path
            try #"{"credHelpers":{"127.0.0.1:5000":"imgtooltest"},"credsStore":"imgtooltest"}"#.write(
                toFile: path, atomically: true, encoding: .utf8)
            let oldPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            setenv("PATH", dir.path + ":" + oldPath, 1)
            defer { setenv("PATH", oldPath, 1) }
            let c = try #require(try RegistryCredentials.lookup(registry: "127.0.0.1:5000", configPath: path))
            #expect(c.username == "carol")
            #expect(c.password == "tok")
            #expect(c.source == "docker-credential-imgtooltest")
            // The store has nothing for another registry: no credentials, not an error.
            #expect(try RegistryCredentials.lookup(registry: "other.io", configPath: path) == nil)
        }
    }
}
