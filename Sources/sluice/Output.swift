@preconcurrency import Glibc

/// Writes a line to standard error.
func printErr(_ s: String) {
    fputs(s + "\n", stderr)
}
