#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Messages and log lines for stderr, written with `write(2)` directly. A stderr that is closed or
/// whose reader went away (a log pipe, `2>&1 | head`) loses the line instead of stopping the
/// process: Foundation's `FileHandle.write(_:)` traps on `EPIPE`.
public enum StandardError {
    public static func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                #if canImport(Glibc)
                let written = Glibc.write(2, base + offset, buffer.count - offset)
                #else
                let written = Darwin.write(2, base + offset, buffer.count - offset)
                #endif
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
