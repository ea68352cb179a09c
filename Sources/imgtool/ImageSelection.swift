import ByteIO
import ImageArchive
import ImageVerify
import OCI
import Ship

/// The options that pick images, shared by the commands, and reading the archive for them.
enum ImageSelection {
    static let platformOption = CommandSpec.Option(
        names: ["--platform"], valueName: "platform", help: "The image of this platform: os/arch[/variant], e.g. linux/amd64.")
    static let imageOption = CommandSpec.Option(
        names: ["--image"], valueName: "image", help: "The image with this tag or digest (prefix), in an archive of several.")

    /// Reads the archive, printing progress on a terminal; errors become one line and an exit code.
    static func read(_ path: String, options: ReadOptions, io: Output) -> Result<ImageArchive, Failure> {
        let show = io.errIsTerminal
        var o = options
        o.progress = Terminal.progress(label: "reading", total: FileSize.of(path), enabled: show)
        do {
            let archive = try ImageArchive.read(path: path, reading: Terminal.wholeReading, options: o)
            Terminal.clearProgress(enabled: show)
            return .success(archive)
        } catch {
            Terminal.clearProgress(enabled: show)
            return .failure(Failure.printing(error, io: io))
        }
    }

    /// Exactly one image for `ls` and `cat`.
    static func single(_ archive: ImageArchive, path: String, platform: Platform?, reference: String?, io: Output) -> Result<
        ArchiveImage, Failure
    > {
        do {
            let images = try archive.select(platform: platform, reference: reference)
            if images.count == 1 { return .success(images[0]) }
            let names = images.map { "\($0.displayName) (\($0.platform))" }.joined(separator: ", ")
            let text = "the archive holds \(images.count) images (\(names)); choose one with --platform or --image"
            CLI.error(text, input: path, io: io)
            return .failure(Failure(code: ExitCode.noMatch.rawValue, message: "\(CLI.inputName(path)): \(text)"))
        } catch {
            return .failure(Failure.printing(error, io: io))
        }
    }

    /// Reads the archive and picks the one image `--platform` / `--image` name (for `ls`, `cat`).
    static func readSingle(
        _ path: String, options: ReadOptions, platform: Platform?, reference: String?, io: Output
    ) -> Result<(ImageArchive, ArchiveImage), Failure> {
        read(path, options: options, io: io).flatMap { archive in
            single(archive, path: path, platform: platform, reference: reference, io: io).map { (archive, $0) }
        }
    }

    /// A command that could not go on: its exit code, and the error line printed (without `Error: `).
    struct Failure: Error {
        var code: Int32
        var message = ""

        /// Prints `error` as ``CLI/fail(_:io:invocation:)`` does, and keeps its line.
        static func printing(_ error: any Error, io: Output) -> Failure {
            let d = CLI.describe(error)
            io.err("Error: \(d.text)\n")
            return Failure(code: d.code, message: d.text)
        }
    }
}
