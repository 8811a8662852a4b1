import Foundation
import Synchronization
import Testing
@testable import MaiFleet

@Suite("Health: parsing df and /proc/meminfo; remote commands")
struct HealthParsingTests {
    @Test func dfOutput() throws {
        let usage = try #require(HealthParsing.diskUsage("""
            Filesystem     1024-blocks     Used Available Capacity Mounted on
            /dev/vda         264212084 29580692  69484920      30% /

            """))
        #expect(usage.totalKiB == 264_212_084 && usage.availableKiB == 69_484_920 && usage.mountPoint == "/")
        #expect(abs(usage.freePercent - 26.298) < 0.01)
        // A long device name wraps onto its own line; mount points may hold spaces.
        let wrapped = try #require(HealthParsing.diskUsage("""
            Filesystem 1024-blocks Used Available Capacity Mounted on
            /dev/mapper/very-long-volume-group-name-root
                             1000      900       100      90% /srv/my data
            """))
        #expect(wrapped.availableKiB == 100 && wrapped.mountPoint == "/srv/my data")
        #expect(HealthParsing.diskUsage("df: /nope: No such file or directory") == nil)
        #expect(HealthParsing.diskUsage("Filesystem 1024-blocks Used Available Capacity Mounted on\n") == nil)
    }

    @Test func meminfo() throws {
        let info = try #require(HealthParsing.memoryInfo("""
            MemTotal:       24684084 kB
            MemFree:         1000000 kB
            MemAvailable:   23132784 kB
            Buffers:          123456 kB
            """))
        #expect(info.totalKiB == 24_684_084 && info.availableKiB == 23_132_784)
        #expect(abs(info.availablePercent - 93.714) < 0.01)
        #expect(HealthParsing.memoryInfo("MemTotal: 100 kB\n") == nil)
    }

    @Test func remoteCommandBuilders() {
        #expect(RemoteCommand.runningContainer(engine: "docker", name: "mai-agent").argv
                == ["docker", "ps", "--filter", "name=^mai-agent$", "--format", "{{.Names}}"])
        #expect(RemoteCommand.runningContainer(engine: "podman", name: "mai-agent").argv.first == "podman")
        #expect(RemoteCommand.processIDs(name: "mai-agent").argv == ["pgrep", "-x", "mai-agent"])
        #expect(RemoteCommand.memoryInfo().argv == ["cat", "--", "/proc/meminfo"])
        // A hostile name stays one quoted argument.
        #expect(RemoteCommand.processIDs(name: "a;rm -rf /").commandLine.contains("'a;rm -rf /'"))
    }

    @Test func publicHealthURLAndTLSApplicability() throws {
        let fleet = try TemporaryFleet(clients: [
            "acme": TemporaryFleet.client(),
            "globex": TemporaryFleet.client(domain: "chat.globex.example") + "host = \"198.51.100.12\"\n",
        ])
        defer { fleet.remove() }
        let instances = try fleet.loader.load().instances
        let acme = try #require(instances.first { $0.slug == "acme" })
        let globex = try #require(instances.first { $0.slug == "globex" })
        #expect(HealthProbe.publicHealthURL(for: acme) == "https://chat.acme.example/health")
        #expect(HealthProbe.publicHealthURL(for: globex) == "http://198.51.100.12:8080/health")
        #expect(HealthProbe.tlsApplies(to: acme) && !HealthProbe.tlsApplies(to: globex))
    }

    @Test func deadlineReturnsNilForAStuckOperation() async throws {
        let start = ContinuousClock.now
        let cancelled = Mutex(false)
        let value = await withDeadline(seconds: 0.2) { () -> Int in
            do { try await Task.sleep(for: .seconds(120)) } catch { cancelled.withLock { $0 = true } }
            return 1
        }
        #expect(value == nil, "the deadline answers nil, not the operation's value")
        // The deadline, not the operation's end, returned: the operation is cancelled (no wall clock:
        // on a busy machine even 0.2 s can take long).
        let waitingSince = ContinuousClock.now
        while !cancelled.withLock({ $0 }) && ContinuousClock.now - waitingSince < .seconds(100) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(cancelled.withLock { $0 }, "the stuck operation was cancelled at the deadline (after \(ContinuousClock.now - start))")
        #expect(await withDeadline(seconds: 5) { 42 } == 42)
    }
}
