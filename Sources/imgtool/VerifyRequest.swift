import Foundation
import ImageTar

/// What `verify` (and `pack`, which runs the same checks) is asked to check, from the command
/// line and the `--policy` file.
struct VerifyRequest {
    /// The platform the image must have (`--platform`, `--arch`, or the policy's).
    var platform: Platform?
    /// The `--policy` file, decoded.
    var policy: Policy?
    /// The checks' options.
    var options: VerifyOptions
    /// `--image`.
    var image: String?
    /// `--json`.
    var json: Bool
    /// `--junit`.
    var junit: String?

    /// Reads the check options of `parsed` (see ``VerifyCommand/checkOptions``).
    ///
    /// - Throws: A ``UsageError`` (exit 64) for a bad value, contradicting options, or a policy
    ///   file that cannot be read or decoded.
    init(_ parsed: ParsedArguments, spec: CommandSpec) throws(UsageError) {
        var wanted = try CLI.platform(parsed, spec: spec)
        var policy: Policy?
        if let file = parsed.value("policy") {
            do {
                policy = try JSONDecoder().decode(Policy.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
            } catch let e as DecodingError {
                throw UsageError(.custom("\(file): not a valid policy: \(VerifyCommand.describe(e))"), spec: spec)
            } catch {
                throw UsageError(.custom("\(file): cannot read the policy: \(error.localizedDescription)"), spec: spec)
            }
            if wanted == nil, let p = policy?.platform {
                guard let parsedPlatform = Platform(parsing: p) else {
                    throw UsageError(.custom("\(file): platform '\(p)' is not os/arch[/variant]"), spec: spec)
                }
                wanted = parsedPlatform
            }
        }
        if let arch = parsed.value("arch") ?? (wanted == nil ? policy?.arch : nil) {
            guard let a = VerifyOptions.architecture(parsing: arch) else {
                throw UsageError(.invalidValue(value: arch, label: "--arch <arch>", help: VerifyOptions.architectures.joined(separator: ", ")), spec: spec)
            }
            if let w = wanted, w.architecture != a {
                throw UsageError(.custom("--arch \(arch) contradicts --platform \(w)"), spec: spec)
            }
            wanted = wanted ?? Platform(os: "linux", architecture: a)
        }
        if parsed.flag("prisma") && parsed.flag("no-prisma") {
            throw UsageError(.custom("--prisma and --no-prisma exclude each other"), spec: spec)
        }
        platform = wanted
        self.policy = policy
        options = VerifyOptions(
            platform: wanted, requiredPaths: (policy?.require ?? []) + parsed.all("require"),
            strictELF: parsed.flag("strict-elf") || policy?.strictElf == true,
            prisma: parsed.flag("prisma") ? .force : parsed.flag("no-prisma") ? .off : policy?.prisma ?? .auto)
        image = parsed.value("image")
        json = parsed.flag("json")
        junit = parsed.value("junit")
    }
}
