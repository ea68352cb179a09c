// fuzz-max-len: 131072
// fuzz-seeds: Tests/Fixtures/skopeo-docker-archive.tar Tests/Fixtures/skopeo-docker-archive.tar.gz Tests/Fixtures/oci-archive.tar Tests/Fixtures/containerd-export.tar Tests/Fixtures/whiteouts.tar Tests/Fixtures/docker-oci.tar Tests/Fixtures/truncated.tar.gz Tests/Fixtures/prisma-arm64.tar.gz Tests/Fixtures/prisma-wrong-elf.tar.gz Tests/Fixtures/skopeo-docker-archive.multimember.tar.gz Tests/Fixtures/bad-layer-digest.tar

// Harness `archive`: the whole archive reader on a stream, as `imgtool verify -` runs it.
//
// The bytes are read as stdin would be (`ArchiveInput.stream` over a `BufferSource`: the one
// thread path, plain or gzip), with the read options of `verify`, and every image found is run
// through every check. Then the same bytes with every tar header checksum repaired (the
// archive's and its layers'), so that mutations reach past the header parser.
import ByteIO
import ImageArchive
import ImageVerify
import OCI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchive(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    readAndVerify(bytes)
    if let fixed = FuzzTar.repaired(bytes, depth: 1) { readAndVerify(fixed) }
    return 0
}

/// What `imgtool verify -` does with `bytes`, errors ignored (they must only be thrown).
private func readAndVerify(_ bytes: [UInt8]) {
    guard let archive = try? ImageArchive.read(.stream(BufferSource(bytes), name: "stdin"), options: .verify) else { return }
    _ = archive.problems.map(\.description)
    let options = VerifyOptions(requiredPaths: ["node_modules/.prisma", "/usr/bin"], strictELF: true, prisma: .force)
    _ = try? ImageVerifier.verify(archive, options: options)
    _ = try? ImageVerifier.verify(archive, options: VerifyOptions(platform: Platform(os: "linux", architecture: "arm64")))
}
