import ByteIO
import Codec
import Foundation
import Gzip
import ImageArchive
import OCI
import Registry

/// The sink of one archive member during the pass: it looks at the member's first bytes, then
/// either lets the rest pass (the registry has the blob, or can mount it), uploads it as it is
/// (a compressed layer, a config), or compresses it on the way into an upload (an uncompressed
/// layer), on every core with pack's compressor.
final class LayerSink: ByteSink {
    private enum Route {
        case undecided
        case discard(PushedBlob)
        case raw(BlobUpload, PushedBlob)
        case compress(ParallelDeflater, BlobUpload, PushedBlob)
    }

    private let member: String
    private let size: Int64
    private let context: PushContext
    private var head: [UInt8] = []
    private var route = Route.undecided
    /// The bytes of a small JSON blob (an OCI layout's manifest), kept so that the manifest can
    /// be put with its own bytes and digest; `nil` for anything else.
    private var small: Data?
    /// The largest blob kept whole: a manifest's limit (1 MiB).
    static let smallLimit: Int64 = 1 << 20
    /// A tar header's magic, at offset 257 of the first block.
    private static let headLength = 512

    init(member: String, size: Int64, context: PushContext) {
        self.member = member
        self.size = size
        self.context = context
    }

    /// The digest a member's name gives (`blobs/sha256/<hex>`).
    static func digest(ofName name: String) -> Digest? {
        let parts = name.split(separator: "/")
        guard parts.count == 3, parts[0] == "blobs" else { return nil }
        return try? Digest(parsing: "\(parts[1]):\(parts[2])")
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if case .undecided = route {
            let n = min(Self.headLength - head.count, bytes.count)
            head += UnsafeRawBufferPointer(rebasing: bytes[0..<n])
            guard head.count == Self.headLength else { return }
            try decide()
            try forward(UnsafeRawBufferPointer(rebasing: bytes[n...]))
            return
        }
        try forward(bytes)
    }

    func finish() throws {
        if case .undecided = route { try decide() }
        if let small, let named = Self.digest(ofName: member), Int64(small.count) == size { context.keepSmall(small, digest: named) }
        var blob: PushedBlob
        let upload: BlobUpload
        switch route {
        case .undecided: return
        case .discard(let b):
            context.add(b)
            return
        case .raw(let u, let b):
            (blob, upload) = (b, u)
            do { try u.finish() } catch { throw abandon(u, blob: b, error) }
        case .compress(let deflater, let u, let b):
            (blob, upload) = (b, u)
            // Finishing the deflater finishes the upload, its sink.
            do { try deflater.finish() } catch { throw abandon(u, blob: b, error) }
        }
        context.cache.forgetUpload(uploadKey(blob))
        blob.digest = upload.digest ?? blob.digest
        blob.size = upload.size
        blob.bytesSent = upload.bytesSent
        if blob.compressedOnTheWay, let key = blob.cacheKey {
            // Now, not after the pass: a push stopped later finds this layer next time. The
            // diff_id is the one the name gives, if it gives one; the pass's end records the
            // one it computed.
            context.cache.recordLayer(key, digest: blob.digest, size: blob.size, diffID: Self.diffID(ofName: member))
        }
        context.add(blob)
    }

    /// The diff_id a layer member's name gives: `blobs/sha256/<hex>` of an uncompressed layer
    /// (Docker 25's layout), `<hex>.tar` (skopeo's and podman's docker-archive).
    static func diffID(ofName name: String) -> Digest? {
        if let d = digest(ofName: name) { return d }
        guard name.hasSuffix(".tar"), !name.contains("/") else { return nil }
        return try? Digest(parsing: "sha256:" + name.dropLast(4))
    }

    /// After the upload's completion failed: when the registry refused the digest (the bytes
    /// differ from what an earlier, resumed upload sent), the upload is forgotten and cancelled,
    /// so that the next run starts it afresh. Returns the error, located.
    private func abandon(_ upload: BlobUpload, blob: PushedBlob, _ error: any Error) -> any Error {
        if let e = error as? RegistryError, e.codes.contains("DIGEST_INVALID") || e.httpStatus == 400 {
            context.cache.forgetUpload(uploadKey(blob))
            upload.cancel()
        }
        return wrap(error)
    }

    /// A lower layer's error, located at this member.
    private func wrap(_ error: any Error) -> any Error {
        switch error {
        case let e as RegistryError: PushError.registry(e, blob: member)
        case let e as GzipError: PushError.compression(member: member, e)
        default: error
        }
    }

    private func forward(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        small?.append(contentsOf: bytes)
        do {
            switch route {
            case .undecided, .discard: return
            case .raw(let upload, _): try upload.write(bytes)
            case .compress(let deflater, _, _): try deflater.write(bytes)
            }
        } catch {
            throw wrap(error)
        }
    }

    /// Chooses the route from the first bytes, and sends what they are.
    private func decide() throws {
        let format = CompressionFormat.detect(head)
        let named = Self.digest(ofName: member)
        let isTar =
            head.count >= 263 && head[257..<262].elementsEqual("ustar".utf8) || head.count == Self.headLength && head.allSatisfy { $0 == 0 }
        do throws(RegistryError) {
            if format == .none && isTar {
                try decideLayer(named: named)
            } else {
                try decideRaw(named: named, format: format)
            }
        } catch {
            throw PushError.registry(error, blob: member)
        }
        let h = head
        head = []
        try h.withUnsafeBytes { try forward($0) }
    }

    /// An uncompressed layer: found through the cache, or compressed into an upload.
    private func decideLayer(named: Digest?) throws(RegistryError) {
        let options = context.options
        let sourceKey = named.map { "diffid:\($0)" } ?? "member:\(member):\(size)"
        let cacheKey = "\(sourceKey)|gzip-\(options.level)-\(ParallelDeflater.defaultBlockSize)"
        var blob = PushedBlob(
            member: member, digest: Digest.sha256OfNothing, size: 0, compression: .gzip, compressedOnTheWay: true, outcome: .uploaded,
            bytesSent: 0, cacheKey: cacheKey)
        // An entry without a diff_id (its push ended before the archive's end) names a layer by
        // its member's name and size alone: not enough to skip compressing it.
        if let known = context.cache.layer(cacheKey), known.diffID != nil,
            let (outcome, from, size) = try context.findExisting(known.digest), size == known.size
        {
            blob.digest = known.digest
            blob.size = size
            blob.outcome = outcome
            blob.mountedFrom = from
            blob.expectedDiffID = known.diffID
            route = .discard(blob)
            return
        }
        let (upload, resumedAt) = try context.openUpload(key: uploadKey(blob))
        if resumedAt > 0 { blob.outcome = .resumed }
        do {
            let deflater = try ParallelDeflater(upload, level: options.level, threads: options.threads)
            route = .compress(deflater, upload, blob)
        } catch {
            throw .unsupported("gzip level \(options.level): \(error)")
        }
    }

    /// A blob sent as it is: a compressed layer or a config.
    private func decideRaw(named: Digest?, format: CompressionFormat) throws(RegistryError) {
        if format == .none, named != nil, size <= Self.smallLimit, head.first == UInt8(ascii: "{") { small = Data() }
        var blob = PushedBlob(
            member: member, digest: named ?? Digest.sha256OfNothing, size: size, compression: format, compressedOnTheWay: false,
            outcome: .uploaded, bytesSent: 0)
        if let named, let (outcome, from, _) = try context.findExisting(named) {
            blob.outcome = outcome
            blob.mountedFrom = from
            route = .discard(blob)
            return
        }
        let (upload, resumedAt) = try context.openUpload(key: uploadKey(blob))
        if resumedAt > 0 { blob.outcome = .resumed }
        route = .raw(upload, blob)
    }

    /// The cache's key for this blob's upload in this repository.
    private func uploadKey(_ blob: PushedBlob) -> String {
        "\(context.repositoryKey)|\(blob.cacheKey ?? (blob.digest == Digest.sha256OfNothing ? "member:\(member):\(size)" : "blob:\(blob.digest)"))"
    }
}

/// Hands each blob-like member of the archive to a ``LayerSink``: members named
/// `blobs/<algorithm>/<hex>` (OCI layouts, `docker save` since Docker 25) or `*.tar`
/// (`<id>/layer.tar` of older `docker save`, `<diffid>.tar` of skopeo and podman). The rest
/// (`manifest.json`, `repositories`, `<id>/json`) is the reader's alone.
final class LayerReceiver: MemberDataReceiver {
    let context: PushContext

    init(context: PushContext) { self.context = context }

    func member(named name: String, size: Int64) throws -> (any ByteSink)? {
        guard name.hasPrefix("blobs/") || name.hasSuffix(".tar") else { return nil }
        context.options.events.blobStarted(name, size)
        return LayerSink(member: name, size: size, context: context)
    }
}
