// fuzz-max-len: 131072
// fuzz-seeds: Tests/Fixtures/skopeo-docker-archive.tar Tests/Fixtures/skopeo-docker-archive.tar.gz Tests/Fixtures/oci-archive.tar Tests/Fixtures/containerd-export.tar Tests/Fixtures/whiteouts.tar Tests/Fixtures/docker-oci.tar Tests/Fixtures/truncated.tar.gz Tests/Fixtures/prisma-arm64.tar.gz Tests/Fixtures/prisma-wrong-elf.tar.gz Tests/Fixtures/skopeo-docker-archive.multimember.tar.gz Tests/Fixtures/bad-layer-digest.tar

// Harness `archive`: the whole archive reader on a stream, as `imgtool verify -` runs it.
//
// The bytes are read as stdin would be (`ArchiveInput.stream` over a `BufferSource`: the one
// thread path, plain or gzip), with the read options of `verify`, and every image found is run
// through every check. Then the same bytes with every tar header checksum repaired (the
// archive's and its layers'), so that mutations reach past the header parser. A gzip input is
// also inflated (as far as it goes), repaired and gzipped again, so that mutations of the tar
// inside get past the CRC-32; a plain one is, one input in four, read gzipped as well.
import ByteIO
import Gzip
import ImageArchive
import ImageVerify
import OCI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchive(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    readAndVerify(bytes)
    if bytes.starts(with: [0x1f, 0x8b]) {
        let tar = inflated(bytes)
        if !tar.isEmpty { readAndVerify(gzipped(FuzzTar.repaired(tar, depth: 1) ?? tar)) }
    } else {
        let fixed = FuzzTar.repaired(bytes, depth: 1)
        if let fixed { readAndVerify(fixed) }
        if size % 4 == 0 { readAndVerify(gzipped(fixed ?? bytes)) }
    }
    return 0
}

/// What a gzip stream inflates to before its end or its first error (at most 8 MiB).
private func inflated(_ bytes: [UInt8]) -> [UInt8] {
    guard let z = try? Inflater(BufferSource(bytes), maximumOutput: 8 << 20) else { return [] }
    var out: [UInt8] = []
    var piece = [UInt8](repeating: 0, count: 65536)
    while let n = try? piece.withUnsafeMutableBytes({ try z.read(into: $0) }), n > 0 { out += piece[0..<n] }
    return out
}

/// `bytes` gzipped, fast.
private func gzipped(_ bytes: [UInt8]) -> [UInt8] {
    let sink = BufferSink()
    guard let d = try? Deflater(sink, level: 1) else { return [] }
    try? bytes.withUnsafeBytes { try d.write($0) }
    try? d.finish()
    return sink.bytes
}

/// What `imgtool verify -` does with `bytes`, errors ignored (they must only be thrown).
private func readAndVerify(_ bytes: [UInt8]) {
    let archive: ImageArchive
    do {
        archive = try ImageArchive.read(.stream(BufferSource(bytes), name: "stdin"), options: .verify)
    } catch {
        _ = "\(error)"  // the message the CLI prints
        return
    }
    _ = archive.problems.map(\.description)
    let options = VerifyOptions(requiredPaths: ["node_modules/.prisma", "/usr/bin"], strictELF: true, prisma: .force)
    _ = try? ImageVerifier.verify(archive, options: options)
    _ = try? ImageVerifier.verify(archive, options: VerifyOptions(platform: Platform(os: "linux", architecture: "arm64")))
}
