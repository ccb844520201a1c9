#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The value of environment variable `name` (Sluice's SLUICE_* settings), read with getenv.
/// Foundation's `ProcessInfo.processInfo.environment` builds a dictionary of the whole
/// environment on every access; read before every chain of decode steps that cost ~360 µs a
/// chain on the H200's host. A variable set with setenv is seen by the next read.
public func environmentValue(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}
