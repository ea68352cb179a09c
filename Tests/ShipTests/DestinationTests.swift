import Ship
import Testing

/// `user@host:port:/dir` destinations: parsed, and refused when they are malformed or would
/// reach ssh as an option.
@Suite struct DestinationTests {
    @Test(
        arguments: [
            ("vps:/opt/maia", nil, "vps", nil, "/opt/maia"),
            ("root@vps:/opt/maia", "root", "vps", nil, "/opt/maia"),
            ("deploy@vps.example.com:2222:/srv/app", "deploy", "vps.example.com", 2222, "/srv/app"),
            ("vps:2222:/srv", nil, "vps", 2222, "/srv"),
            ("[::1]:/srv", nil, "::1", nil, "/srv"),
            ("me@[fe80::1%eth0]:22:/srv", "me", "fe80::1%eth0", 22, "/srv"),
            ("vps:/opt/a@b:c", nil, "vps", nil, "/opt/a@b:c"),
            ("vps:/opt/maia; touch /tmp/x", nil, "vps", nil, "/opt/maia; touch /tmp/x"),
        ] as [(String, String?, String, Int?, String)])
    func parsesDestinations(_ text: String, user: String?, host: String, port: Int?, dir: String) throws {
        let d = try Destination(parsing: text)
        #expect(d.user == user && d.host == host && d.port == port && d.directory == dir)
    }

    @Test(arguments: [
        "-oProxyCommand=touch /tmp/x:/tmp", "vps", "vps:", "@vps:/x", "-l:/tmp", "user@-oProxy=x:/tmp",
        "vps;touch x:/tmp", "vps:99999:/x", "vps:2222", "us er@vps:/x", "$(id)@vps:/x", "[::1/x", "vps:/a\nb",
        "`id`:/x", "vps:releases", "vps:~/maia", "vps:2222:relative",
    ])
    func refusesBadOrHostileDestinations(_ text: String) {
        #expect(throws: ShipError.self) { try Destination(parsing: text) }
    }
}
