#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MaiCore

/// Disk and memory as this process sees them, for `GET /admin/v1/health`: `maictl health` judges
/// the headroom without a shell on the host. In a container, `DATA_DIR` is the volume on the host's
/// disk and `/proc/meminfo` is the host's.
enum HostResourcesReader {
    static func read(dataDirectory: String, meminfoPath: String = "/proc/meminfo") -> AdminHealth.HostResources {
        var problems: [String] = []
        let disk = self.disk(dataDirectory)
        if disk == nil { problems.append("statvfs(\(dataDirectory)) failed: \(String(cString: strerror(errno)))") }
        var memory: AdminHealth.Memory?
        if let text = try? String(contentsOfFile: meminfoPath, encoding: .utf8) {
            memory = AdminHealth.Memory.parse(meminfo: text)
            if memory == nil { problems.append("\(meminfoPath) has no MemTotal/MemAvailable") }
        } else {
            problems.append("\(meminfoPath) is not readable")
        }
        return AdminHealth.HostResources(disk: disk, memory: memory, problems: problems)
    }

    /// `statvfs` of `path`: total size and the space left to unprivileged writers (`df`'s Available).
    static func disk(_ path: String) -> AdminHealth.Disk? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let fragment = Int64(info.f_frsize > 0 ? info.f_frsize : info.f_bsize)
        return AdminHealth.Disk(path: path, totalBytes: Int64(info.f_blocks) * fragment, availableBytes: Int64(info.f_bavail) * fragment)
    }
}
