import Foundation
import OCI

/// An open ssh connection to one destination, and what the server said it is: the first step of
/// a ship, which needs nothing of the archive, so that it can run while the archive is still
/// being read (``Shipper/connect(to:options:name:)``), and the ship proper follows on it
/// (``Shipper/ship(over:events:)``). Close it if it is not shipped over.
public final class ShipConnection: Sendable {
    let session: SSHSession
    /// Where it goes.
    public let destination: Destination
    /// What the server is, when the target probe ran (``ShipOptions/probeTarget``).
    public let target: RemoteTarget?
    /// How long connecting and the probe took.
    public let seconds: Double

    init(session: SSHSession, destination: Destination, target: RemoteTarget?, seconds: Double) {
        self.session = session
        self.destination = destination
        self.target = target
        self.seconds = seconds
    }

    /// Stops the connection and removes its private directory.
    public func close() { session.close() }
}

extension Shipper {
    /// Opens the connection to `destination` and, unless `options` say not to, asks the server
    /// what it is (read-only: nothing is written there).
    ///
    /// - Parameters:
    ///   - destination: Where to.
    ///   - options: The ssh client, and whether to probe the target.
    ///   - name: The archive's name on the remote.
    /// - Returns: The connection, to ship over or close.
    /// - Throws: ``ShipError``, naming the host and what to do.
    public static func connect(to destination: Destination, options: ShipOptions, name: String) throws(ShipError) -> ShipConnection {
        let started = Date()
        let session = try SSHSession(destination: destination, client: options.client)
        do {
            try session.connect(interactive: !options.client.batchMode)
            var target: RemoteTarget?
            if options.probeTarget {
                // The probe names the archive, not its bytes.
                let context = RemoteScript.Context(directory: destination.directory, name: name, digest: "", size: 0, shipID: randomID())
                target = RemoteTarget.parse(try session.run(RemoteScript.target(context, commands: options.thenCommands)))
            }
            return ShipConnection(session: session, destination: destination, target: target, seconds: Date().timeIntervalSince(started))
        } catch {
            session.close()
            throw error
        }
    }
}
