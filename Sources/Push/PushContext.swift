import Foundation
import OCI
import Registry

/// What every blob of one push shares: the client, the cache, the settings, and the results.
final class PushContext: @unchecked Sendable {
    let client: RegistryClient
    let cache: PushCache
    let options: PushOptions
    /// `registry/repository`, as the cache names repositories.
    let repositoryKey: String
    private let lock = NSLock()
    private var _blobs: [PushedBlob] = []
    private var _small: [Digest: Data] = [:]
    private var smallBytes = 0
    /// The most bytes of small blobs kept (16 MiB).
    static let maximumSmallBytes = 16 << 20

    init(client: RegistryClient, cache: PushCache, options: PushOptions) {
        self.client = client
        self.cache = cache
        self.options = options
        repositoryKey = "\(client.reference.registry)/\(client.reference.repository)"
    }

    var blobs: [PushedBlob] { lock.withLock { _blobs } }

    /// The bytes of the small uncompressed blobs seen (an OCI layout's manifests), by digest.
    var smallBlobs: [Digest: Data] { lock.withLock { _small } }

    /// Keeps the bytes of a small blob, within ``maximumSmallBytes`` in all.
    func keepSmall(_ bytes: Data, digest: Digest) {
        lock.withLock {
            guard _small[digest] == nil, smallBytes + bytes.count <= Self.maximumSmallBytes else { return }
            _small[digest] = bytes
            smallBytes += bytes.count
        }
    }

    func add(_ blob: PushedBlob) {
        lock.withLock { _blobs.append(blob) }
        cache.noteRepository(repositoryKey, holds: blob.digest)
        options.events.blobDone(blob)
    }

    /// Whether the repository holds `digest` already, or can mount it from a repository of the
    /// same registry (`--from`, or one the cache knows holds it).
    func findExisting(_ digest: Digest) throws(RegistryError) -> (PushedBlob.Outcome, from: String?, size: Int64)? {
        if let size = try client.blobSize(digest) { return (.existed, nil, size) }
        let registry = client.reference.registry + "/"
        var sources = options.mountFrom
        for known in cache.repositories(holding: digest) where known.hasPrefix(registry) {
            sources.append(String(known.dropFirst(registry.count)))
        }
        var tried: Set<String> = [client.reference.repository]
        for from in sources where tried.insert(from).inserted {
            if (try? client.mount(digest, from: from)) == true, let size = try client.blobSize(digest) {
                return (.mounted, from, size)
            }
        }
        return nil
    }

    /// Opens an upload under the cache's `key`: the one in progress, if the registry still
    /// holds part of it, else a new one.
    func openUpload(key: String) throws(RegistryError) -> (BlobUpload, resumedAt: Int64) {
        let cache = self.cache
        func progress(minimum: Int) -> @Sendable (URL, Int64) -> Void {
            { location, committed in cache.recordUpload(key, location: location, committed: committed, minimumChunk: minimum) }
        }
        if let saved = cache.upload(key), let url = URL(string: saved.location),
            let (held, location) = (try? client.uploadedBytes(at: url)) ?? nil, held > 0
        {
            let minimum = saved.minimumChunk ?? 0
            let upload = BlobUpload(
                client: client, location: location, alreadyUploaded: held, chunkSize: max(options.chunkSize, minimum),
                onProgress: progress(minimum: minimum))
            return (upload, held)
        }
        cache.forgetUpload(key)
        let (location, minimum) = try client.startUpload()
        let upload = BlobUpload(
            client: client, location: location, chunkSize: max(options.chunkSize, minimum), onProgress: progress(minimum: minimum))
        return (upload, 0)
    }
}
