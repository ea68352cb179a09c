/// The size of a terminal, asked each time (the user may resize the window).
public enum TerminalSize {
    /// The number of columns of the terminal `fd` is (2 for stderr), or `nil` when `fd` is not a
    /// terminal.
    public static func columns(of fd: Int32) -> Int? { POSIX.terminalColumns(fd) }
}
