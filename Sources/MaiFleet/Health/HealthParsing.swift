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
}
