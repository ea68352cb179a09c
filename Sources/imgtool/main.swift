#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
import ImageArchive
import ImageVerify
import Ship
#endif

// A closed stdout (`imgtool inspect x | head`) must be an error return, not a kill by SIGPIPE.
signal(SIGPIPE, SIG_IGN)
exit(CLI.run(Array(CommandLine.arguments.dropFirst()), io: .standard))
