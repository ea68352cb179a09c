import Registry
import Testing

@Suite struct ImageReferenceTests {
    @Test(arguments: [
        ("127.0.0.1:5000/maia/web:v1", "127.0.0.1:5000", "maia/web", "v1"),
        ("localhost/app", "localhost", "app", "latest"),
        ("ghcr.io/acme/tools/api:2024.1-rc_1", "ghcr.io", "acme/tools/api", "2024.1-rc_1"),
        ("nginx", "docker.io", "library/nginx", "latest"),
        ("acme/web:v2", "docker.io", "acme/web", "v2"),
        ("registry.example.com:443/a__b/c-d.e:latest", "registry.example.com:443", "a__b/c-d.e", "latest"),
    ])
    func parses(text: String, registry: String, repository: String, tag: String) throws {
        let r = try ImageReference(parsing: text)
        #expect(r.registry == registry)
        #expect(r.repository == repository)
        #expect(r.tag == tag)
    }

    @Test func dockerHubGoesToItsAPIHost() throws {
        #expect(try ImageReference(parsing: "nginx").apiHost == "registry-1.docker.io")
        #expect(try ImageReference(parsing: "127.0.0.1:5000/x").apiHost == "127.0.0.1:5000")
    }

    @Test func loopback() throws {
        #expect(try ImageReference(parsing: "127.0.0.1:5000/x").isLoopback)
        #expect(try ImageReference(parsing: "localhost:5000/x").isLoopback)
        #expect(try ImageReference(parsing: "[::1]:5000/x").isLoopback)
        #expect(try !ImageReference(parsing: "registry.example.com/x").isLoopback)
    }

    @Test(arguments: [
        ("", "empty"),
        ("127.0.0.1:5000/Maia/web", "lowercase"),
        ("127.0.0.1:5000/maia/web@sha256:abcd", "digest"),
        ("https://127.0.0.1:5000/maia", "scheme"),
        ("127.0.0.1:5000/maia:-bad", "tag"),
        ("127.0.0.1:5000/maia//web", "lowercase"),
        ("[::1/x:1", "HOST:PORT"),
        ("host.example:abc/x", "HOST:PORT"),
        ("host.example:99999/x", "HOST:PORT"),
        ("bad_host.example/x", "HOST:PORT"),
    ])
    func refuses(text: String, reasonMentions: String) {
        #expect {
            _ = try ImageReference(parsing: text)
        } throws: { error in
            "\(error)".contains(reasonMentions) || "\(error)".contains("must be")
        }
    }
}

@Suite struct AuthChallengeTests {
    @Test func bearer() throws {
        let c = try #require(
            AuthChallenge(
                parsing:
                    #"Bearer realm="http://127.0.0.1:9/token",service="test-registry",scope="repository:a/b:pull,push repository:c:pull""#))
        #expect(c.scheme == "bearer")
        #expect(c.realm == "http://127.0.0.1:9/token")
        #expect(c.parameters["service"] == "test-registry")
        #expect(c.parameters["scope"] == "repository:a/b:pull,push repository:c:pull")
    }

    @Test func basicAndUnquoted() throws {
        let c = try #require(AuthChallenge(parsing: #"Basic realm="test realm", charset=UTF-8"#))
        #expect(c.scheme == "basic")
        #expect(c.realm == "test realm")
        #expect(c.parameters["charset"] == "UTF-8")
        #expect(AuthChallenge(parsing: "") == nil)
    }

    @Test func escapedQuote() throws {
        let c = try #require(AuthChallenge(parsing: #"Bearer realm="a\"b",error="insufficient_scope""#))
        #expect(c.realm == #"a"b"#)
        #expect(c.parameters["error"] == "insufficient_scope")
    }
}
