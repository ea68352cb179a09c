import Testing

// @testable: `SSHClient.arguments(for:controlPath:remoteCommand:)`, the argv `ship` runs, is internal.
@testable import Ship

/// The ssh command line `ship` runs, and the one its errors suggest trying by hand.
@Suite struct SSHClientTests {
    @Test func errorsSuggestAnSSHCommandThatWorks() throws {
        let custom = SSHClient(command: SSHClient.split("ssh -F '/tmp/my config'"), batchMode: true)
        #expect(custom.plainCommand(for: try Destination(parsing: "deploy@vps:2222:/opt")) == "ssh -F '/tmp/my config' -p 2222 deploy@vps")
        #expect(SSHClient(batchMode: true).plainCommand(for: try Destination(parsing: "[::1]:/opt")) == "ssh ::1")
        let e = ShipError.hostKey(host: "root@127.0.0.1:38543", detail: "Host key verification failed.", ssh: "ssh -p 38543 root@127.0.0.1")
        #expect(e.description.contains("connect once with `ssh -p 38543 root@127.0.0.1`"))
        #expect(ShipError.unreachable(host: "vps", detail: "x", ssh: "ssh vps").description.contains("`ssh vps true`"))
    }

    @Test func sshArgumentsEndOptionsBeforeTheHost() throws {
        let d = try Destination(parsing: "deploy@vps:2222:/srv")
        let argv = SSHClient(command: ["ssh", "-F", "cfg"], batchMode: true)
            .arguments(for: d, controlPath: "/tmp/c/%C", remoteCommand: "sh -c 'x'")
        #expect(Array(argv.prefix(3)) == ["ssh", "-F", "cfg"])
        // Every command goes through the master and never prompts, even on a terminal.
        #expect(argv.contains("BatchMode=yes") && argv.contains("ControlMaster=no"))
        #expect(
            SSHClient(command: ["ssh"], batchMode: false).arguments(for: d, controlPath: "p", remoteCommand: nil).contains("BatchMode=yes"))
        let dash = try #require(argv.firstIndex(of: "--"))
        #expect(Array(argv[dash...]) == ["--", "vps", "sh -c 'x'"])
    }

    /// The master authenticates, asking on a terminal only, then goes to the background.
    @Test func theMasterAsksOnlyOnATerminal() throws {
        let d = try Destination(parsing: "vps:/srv")
        let client = SSHClient(command: ["ssh"], batchMode: false)
        let asking = client.masterArguments(for: d, controlPath: "p", interactive: true)
        #expect(!asking.contains("BatchMode=yes"))
        #expect(asking.contains("ControlMaster=yes") && asking.contains("-f") && asking.contains("-N"))
        #expect(Array(asking.suffix(2)) == ["--", "vps"])
        #expect(client.masterArguments(for: d, controlPath: "p", interactive: false).contains("BatchMode=yes"))
        #expect(
            SSHClient(command: ["ssh"], batchMode: true).masterArguments(for: d, controlPath: "p", interactive: true).contains(
                "BatchMode=yes"))
    }

    @Test func splitsSSHCommands() {
        #expect(SSHClient.split("ssh -F \"my config\" -i 'k ey' a\\ b") == ["ssh", "-F", "my config", "-i", "k ey", "a b"])
        #expect(SSHClient.split("  ") == [])
    }
}
