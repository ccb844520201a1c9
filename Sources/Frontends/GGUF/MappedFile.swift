#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory. The mapping lives as long as this object.
///
/// Slices of `bytes` handed out by readers (tensor data, for instance) are only valid while
/// the `MappedFile` is alive; keep a reference to it for as long as you use them.
/// If another process truncates the file while it is mapped, reading the lost pages raises
/// SIGBUS; model files are expected to stay put while they are in use.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened with.
    public let path: String
    /// The mapped bytes (empty for an empty file).
    public let bytes: UnsafeRawBufferPointer

    private let base: UnsafeMutableRawPointer?
    private let length: Int

    /// Maps `path` read-only. Throws `GGUFError` with field "file" when the file cannot be
    /// opened, is not a regular file, or cannot be mapped.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw GGUFError(path: path, field: "file", reason: .cannotOpen(MappedFile.errnoText()))
        }
        defer { close(fd) }

        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw GGUFError(path: path, field: "file", reason: .cannotOpen(MappedFile.errnoText()))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError(path: path, field: "file", reason: .cannotOpen("not a regular file"))
        }
        let size = Int(st.st_size)
        guard size > 0 else {
            // mmap rejects zero-length mappings; an empty file is simply empty.
            self.base = nil
            self.length = 0
            self.bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw GGUFError(path: path, field: "file", reason: .cannotOpen("mmap failed: " + MappedFile.errnoText()))
        }
        self.base = p
        self.length = size
        self.bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    deinit {
        if let base { munmap(base, length) }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
