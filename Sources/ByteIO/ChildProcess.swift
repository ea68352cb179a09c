/// A child process started in this process's own process group, so that on a terminal it can
/// read the terminal (an ssh host-key question, a key's passphrase): the one kind of child that
/// Foundation's `Process` cannot start, since it moves its children to a group of their own.
///
/// None of its signals is blocked, and SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTTIN, SIGTTOU
/// and SIGCHLD are at their default actions, whatever this process blocks or ignores for itself.
public struct ChildProcess: Sendable {
    /// Its process id.
    public let pid: Int32

    /// Starts `argv`, looked up on the PATH.
    /// - Parameters:
    ///   - argv: The command and its arguments.
    ///   - stdin: A file to read stdin from; `nil` keeps this process's (the terminal).
    ///   - stdout: A file stdout appends to; `nil` keeps this process's.
    ///   - stderr: A file stderr appends to; `nil` keeps this process's.
    /// - Throws: ``ByteIOError`` (`posix_spawn`) when it cannot be started: `ENOENT` for a
    ///   command that is not there.
    public init(_ argv: [String], stdin: String? = nil, stdout: String? = nil, stderr: String? = nil) throws(ByteIOError) {
        switch POSIX.spawn(argv, stdin: stdin, stdout: stdout, stderr: stderr) {
        case .success(let pid): self.pid = pid
        case .failure(let e): throw e
        }
    }

    /// Waits for it to end: its exit status, or 128 + the signal that ended it.
    public func wait() -> Int32 { POSIX.waitForExit(pid) }

    /// Sends it SIGTERM.
    public func terminate() { POSIX.sendSignal(pid, POSIX.terminateSignal) }

    /// Sends SIGTERM to the process `pid` (one this process did not start itself, such as ssh's
    /// backgrounded connection master).
    public static func terminate(pid: Int32) { POSIX.sendSignal(pid, POSIX.terminateSignal) }
}
