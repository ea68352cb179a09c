import ByteIO
import OCI

/// What one ship to one destination did, as `--json` reports it.
public struct ShipResult: Sendable, Codable, Equatable {
    /// `user@host:port:/dir` as given.
    public var destination: String
    /// The published file on the remote.
    public var remotePath: String
    /// The archive's SHA-256 (`sha256:<hex>`), also in `remotePath + ".sha256"`.
    public var sha256: String
    /// The archive's size in bytes.
    public var size: Int64
    /// Whether the archive was already there, intact, so nothing was sent.
    public var alreadyPresent: Bool
    /// Chunk bytes sent (a chunk sent twice counts twice).
    public var bytesSent: Int64
    /// Bytes of chunks the remote already held, verified, and so not sent.
    public var bytesSkipped: Int64
    /// Chunks in the archive (distinct contents).
    public var chunks: Int
    /// Chunks sent.
    public var chunksSent: Int
    /// Chunks the remote already held, verified.
    public var chunksSkipped: Int
    /// Of the chunks skipped, those cut out of an earlier archive published at the destination.
    public var chunksReused: Int
    /// Chunks found damaged on the remote (or failing their check on arrival) and sent again.
    public var chunksResent: Int
    /// Wall time, from connecting to the end of `--then`.
    public var seconds: Double
    /// Whether another file of the same name was there and is now replaced.
    public var replaced: Bool
    /// The images `docker load` reported, when `--load` was given.
    public var loaded: [String]?
    /// `docker load`'s exit status, with `--load`.
    public var load: CommandStatus?
    /// The `--then` command and its exit status.
    public var then: CommandStatus?
    /// What the remote said it is, when the target probe ran (not with `--no-target-check`).
    public var target: RemoteTarget?
    /// How many times the transfer made no progress for the stall time (`--stall-timeout`).
    public var stalls: Int

    /// A remote command and how it ended.
    public struct CommandStatus: Sendable, Codable, Equatable {
        /// The command as given.
        public var command: String
        /// Its exit status (127: the remote shell did not find the command).
        public var status: Int32
        /// The last line of its stderr, when it failed: the remote's own message.
        public var message: String?

        /// Creates a status.
        public init(command: String, status: Int32, message: String? = nil) {
            self.command = command
            self.status = status
            self.message = status == 0 ? nil : message
        }
    }

    /// Creates an empty result for `destination`.
    public init(destination: Destination, name: String, plan: ChunkPlan) {
        self.destination = destination.description
        let dir = destination.directory.hasSuffix("/") ? String(destination.directory.dropLast()) : destination.directory
        self.remotePath = (dir.isEmpty ? "" : dir + "/") + name
        self.sha256 = plan.digest.description
        self.size = plan.size
        alreadyPresent = false
        replaced = false
        bytesSent = 0
        bytesSkipped = 0
        chunks = plan.distinctChunks.count
        chunksSent = 0
        chunksSkipped = 0
        chunksReused = 0
        chunksResent = 0
        seconds = 0
        stalls = 0
    }
}
