// fuzz-max-len: 131072
// fuzz-seeds: Tests/Fixtures/tar-corners.tar Tests/Fixtures/plain-tar-not-image.tar Tests/Fixtures/truncated-mid-member.tar Tests/Fixtures/whiteouts.tar

// Harness `tar`: the tar reader (Sources/Tar), on the raw bytes and on the same bytes with every
// header checksum repaired.
//
// Each input is read twice, by the streaming reader (small buffer, so refills and direct reads
// both happen, bodies read in uneven pieces) and by the in-memory reader (headers parsed in
// place), and the two must agree entry by entry and on whether the stream is damaged. The
// span splitter that `pack` uses sees the same bytes and must account for every one of them.
import ByteIO

@testable import Tar

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTar(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    check(bytes)
    if let fixed = FuzzTar.repaired(bytes, depth: 0) { check(fixed) }
    return 0
}

/// What one reading saw: the entries, and whether (and where) it failed.
private struct Reading: Equatable {
    var entries: [String] = []
    var failure: TarError?
    var other: String?
}

private func check(_ bytes: [UInt8]) {
    for requiresEnd in [true, false] {
        let streamed = readStreaming(bytes, requiresEnd: requiresEnd)
        let inMemory = bytes.withUnsafeBytes { readInMemory($0, requiresEnd: requiresEnd) }
        _ = streamed.failure?.description
        if streamed != inMemory {
            fatalError("stream and memory readers disagree:\nstream \(streamed)\nmemory \(inMemory)")
        }
    }
    var splitter = TarSpanSplitter(minimumOwnSize: 1024)
    bytes.withUnsafeBytes { all in
        var offset = 0
        var step = 1
        while offset < all.count {
            let piece = UnsafeRawBufferPointer(rebasing: all[offset..<min(all.count, offset + step)])
            var used = 0
            while used < piece.count {
                let span = splitter.next(UnsafeRawBufferPointer(rebasing: piece[used...]))
                precondition(span.count >= 1 && span.count <= piece.count - used, "span splitter lost bytes")
                used += span.count
            }
            offset += piece.count
            step = step * 7 % 1531 + 1
        }
    }
}

/// A line per entry, as both readers must see it.
private func describe(_ e: TarEntryView, body: Int) -> String {
    var clean: [UInt8] = []
    let cleaned = PathCleaner.clean(Array(e.name), into: &clean)
    return "\(Array(e.name)) \(e.kind) \(e.mode) \(e.uid) \(e.gid) \(e.size) \(e.dataSize) \(e.mtime) \(Array(e.linkName)) "
        + "\(e.hasXattrs) \(e.headerOffset) \(e.deviceMajor) \(e.deviceMinor) \(cleaned ? clean : []) body=\(body)"
}

private func readStreaming(_ bytes: [UInt8], requiresEnd: Bool) -> Reading {
    var reading = Reading()
    let reader = TarReader(BufferSource(bytes), bufferSize: 4096, requiresEndMarker: requiresEnd)
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 16)
    defer { scratch.deallocate() }
    do {
        var n = 0
        while let e = try reader.nextView() {
            let line = describe(e, body: 0)
            // Every other entry's body is read, in uneven pieces; the rest is skipped by next().
            var body = 0
            if n % 2 == 0 {
                var piece = 1
                while true {
                    let got = try reader.readBody(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<piece]))
                    if got == 0 { break }
                    body += got
                    piece = piece * 3 % 8191 + 1
                }
            }
            reading.entries.append(line + (n % 2 == 0 ? " read=\(body)" : ""))
            n += 1
        }
    } catch let e as TarError {
        reading.failure = e
    } catch {
        reading.other = "\(error)"
    }
    return reading
}

private func readInMemory(_ memory: UnsafeRawBufferPointer, requiresEnd: Bool) -> Reading {
    var reading = Reading()
    let reader = TarReader(memory: memory, requiresEndMarker: requiresEnd)
    do {
        var n = 0
        while let e = try reader.next() {
            var body = 0
            if n % 2 == 0 {
                let source = reader.body()
                body = Int(try source.skip(Int64.max))
            }
            let view = e.name.withUnsafeBufferPointer { name in
                e.linkName.withUnsafeBufferPointer { link in
                    describe(
                        TarEntryView(
                            name: name, linkName: link, kind: e.kind, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size,
                            dataSize: e.dataSize, mtime: e.mtime, hasXattrs: !e.xattrs.isEmpty, headerOffset: e.headerOffset,
                            deviceMajor: e.deviceMajor, deviceMinor: e.deviceMinor), body: 0)
                }
            }
            reading.entries.append(view + (n % 2 == 0 ? " read=\(body)" : ""))
            n += 1
        }
    } catch let e as TarError {
        reading.failure = e
    } catch {
        reading.other = "\(error)"
    }
    return reading
}
