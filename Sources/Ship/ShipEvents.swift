import OCI

/// What a ship tells its caller while it runs.
public struct ShipEvents: Sendable {
    /// Judges the remote, once it has said what it is and before anything is sent: `nil` to go
    /// on, or the ids of the checks that failed, which stop this destination
    /// (``ShipError/targetCheckFailed(host:checks:)``).
    public var target: @Sendable (RemoteTarget) -> [String]?
    /// Progress, as chunks go out.
    public var progress: @Sendable (ShipProgress) -> Void
    /// Each line that `docker load` or `--then` prints.
    public var remoteOutput: @Sendable (String) -> Void
    /// The transfer made no progress for this many seconds (called once a stall).
    public var stalled: @Sendable (Int) -> Void

    /// Creates the callbacks; each does nothing unless given.
    public init(
        target: @escaping @Sendable (RemoteTarget) -> [String]? = { _ in nil },
        progress: @escaping @Sendable (ShipProgress) -> Void = { _ in },
        remoteOutput: @escaping @Sendable (String) -> Void = { _ in },
        stalled: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.target = target
        self.progress = progress
        self.remoteOutput = remoteOutput
        self.stalled = stalled
    }
}
