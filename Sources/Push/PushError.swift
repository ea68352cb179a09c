import ByteIO
import Gzip
import ImageArchive
import OCI
import Registry

/// A failed push, located: which blob or manifest, and the lower layer's error as it is.
public enum PushError: Error, CustomStringConvertible {
    /// The registry refused a request, or could not be reached.
    case registry(RegistryError, blob: String?)
    /// The archive could not be read (or is not an image archive).
    case archive(ArchiveError)
    /// Compressing a layer on the way failed.
    case compression(member: String, GzipError)
    /// A layer of the image was not among the blobs uploaded during the pass (a layer member
    /// imgtool did not recognise by its name, or one the archive lists but does not hold).
    case layerNotUploaded(member: String, diffID: Digest)
    /// The cache said a layer compresses to a blob the registry has, but the archive's layer is
    /// another one (its diff_id differs); the layer was not uploaded.
    case staleCache(member: String, expected: Digest, found: Digest)
    /// The images selected cannot go under one tag (two images of one platform).
    case ambiguous(String)

    /// Whether the credentials were the problem.
    public var isAuthentication: Bool {
        if case .registry(let e, _) = self { return e.isAuthentication }
        return false
    }

    public var description: String {
        switch self {
        case .registry(let e, let blob): return blob.map { "\($0): \(e)" } ?? "\(e)"
        case .archive(let e): return "\(e)"
        case .compression(let member, let e): return "\(member): compressing the layer failed: \(e)"
        case .layerNotUploaded(let member, let diffID):
            return
                "layer \(member) (\(diffID.short)) was not uploaded: imgtool uploads the members named blobs/… or *.tar as the archive streams past"
        case .staleCache(let member, let expected, let found):
            return
                "layer \(member): the push cache recorded diff_id \(expected.short) for it, the archive holds \(found.short); the entry is forgotten: run the same command again"
        case .ambiguous(let what): return what
        }
    }
}
