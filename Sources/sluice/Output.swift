@preconcurrency import Glibc

/// Writes a line to standard error.
func printErr(_ s: String) {
    fputs(s + "\n", stderr)
}

func printErrInline(_ s: String) {
    fputs(s, stderr)
}

/// Writes to standard output without a newline and flushes (streaming text).
func printStreaming(_ s: String) {
    fputs(s, stdout)
    fflush(stdout)
}
