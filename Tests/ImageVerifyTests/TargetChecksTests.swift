import ImageVerify
import OCI
import Testing

/// The parts of the target check that need no server: the `uname -m` names, the `--then`
/// commands, engine versions.
@Suite struct TargetChecksTests {
    @Test(arguments: [
        ("x86_64", "linux/amd64"), ("aarch64", "linux/arm64"), ("arm64", "linux/arm64"), ("armv7l", "linux/arm/v7"),
        ("armv8l", "linux/arm/v7"), ("armv6l", "linux/arm/v6"), ("i686", "linux/386"), ("i386", "linux/386"),
        ("ppc64le", "linux/ppc64le"), ("s390x", "linux/s390x"), ("riscv64", "linux/riscv64"),
    ])
    func machineNames(_ machine: String, _ platform: String) {
        #expect(Platform(kernel: "Linux", machine: machine)?.description == platform)
    }

    @Test func thenCommands() {
        let c = ShellCommandLine(
            "docker compose up -d postgres && docker compose --profile migrate run --rm migrate && docker compose up -d maia")
        #expect(c.commands == ["docker"])
        #expect(c.usesComposePlugin && !c.usesComposeStandalone)
        let d = ShellCommandLine(
            "cd app; FOO=1 docker-compose up -d | tee log; sudo -u app ./bin/migrate; if true; then systemctl restart x; fi")
        #expect(d.commands == ["cd", "docker-compose", "tee", "sudo", "./bin/migrate", "true", "systemctl"])
        #expect(d.usesComposeStandalone && !d.usesComposePlugin)
        #expect(ShellCommandLine("echo 'a; b' && $HOME/run").commands == ["echo"])
        #expect(ShellCommandLine("docker --context prod compose up").usesComposePlugin)
        // Wrapper options that take a value are not the command.
        let n = ShellCommandLine("nice -n 10 docker compose up -d")
        #expect(n.commands == ["nice", "docker"] && n.usesComposePlugin && !n.engineOnlyUnderSudo)
        #expect(ShellCommandLine("sudo -u root -h vps docker compose up -d").commands == ["sudo", "docker"])
        #expect(ShellCommandLine("sudo docker compose up -d && sudo docker image prune -f").engineOnlyUnderSudo)
        #expect(!ShellCommandLine("sudo docker compose up -d; docker ps").engineOnlyUnderSudo)
    }

    @Test func engineVersions() {
        #expect(EngineVersion(parsing: "20.10.24+dfsg1") == EngineVersion(major: 20, minor: 10))
        #expect(EngineVersion(parsing: "v25.0.3")! >= EngineVersion(major: 25, minor: 0))
        #expect(EngineVersion(parsing: "4.3.1")! < EngineVersion(major: 23, minor: 0))
        #expect(EngineVersion(parsing: "") == nil && EngineVersion(parsing: "dev") == nil)
        #expect(DeployTarget.preset("docker-25-containerd")?.engine?.containerdStore == true)
        #expect(DeployTarget.preset("docker-24") == nil)
    }
}
