/// The machine's processors, for deciding whether work is worth a second thread.
public enum Processors {
    /// How many processors are online (`sysconf(_SC_NPROCESSORS_ONLN)`), at least 1.
    public static var online: Int { POSIX.processorCount }
}
