import Foundation
import MaiCore

/// Parsers for what the health commands print on a host. Pure; `nil` when the text does not fit.
public enum HealthParsing {
    /// The data line of `df -P -k PATH`: total and available 1 KiB blocks and the mount point.
    public static func diskUsage(_ text: String) -> DiskUsage? {
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard lines.count >= 2, lines[0].hasPrefix("Filesystem") else { return nil }
        // A long device name may push the numbers onto the next line; join the data lines.
        let fields = lines.dropFirst().joined(separator: " ").split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        // Filesystem, 1024-blocks, Used, Available, Capacity, Mounted on (which may hold spaces).
        guard fields.count >= 6, let total = Int64(fields[1]), Int64(fields[2]) != nil, let available = Int64(fields[3]),
              fields[4].hasSuffix("%"), total >= 0, available >= 0
        else { return nil }
        return DiskUsage(totalKiB: total, availableKiB: available, mountPoint: fields[5...].joined(separator: " "))
    }

    /// MemTotal and MemAvailable (kB) of `/proc/meminfo` (the agent reads it with the same parser).
    public static func memoryInfo(_ text: String) -> MemoryInfo? {
        AdminHealth.Memory.parse(meminfo: text).map { MemoryInfo(totalKiB: $0.totalBytes / 1024, availableKiB: $0.availableBytes / 1024) }
    }

    /// The first PEM certificate in `openssl s_client` output, `nil` when there is none.
    public static func firstCertificatePEM(_ text: String) -> String? {
        guard let begin = text.range(of: "-----BEGIN CERTIFICATE-----"),
              let end = text.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<text.endIndex)
        else { return nil }
        return String(text[begin.lowerBound..<end.upperBound]) + "\n"
    }

    /// `notAfter=Jan  2 03:04:05 2027 GMT` (`openssl x509 -noout -enddate`) as a date.
    public static func certificateEndDate(_ text: String) -> Date? {
        guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("notAfter=") }) else { return nil }
        let value = line.dropFirst("notAfter=".count).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "MMM d HH:mm:ss yyyy zzz"
        return formatter.date(from: value)
    }
}
