import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import MaiFleet

/// The image from this repository's Dockerfile, run by podman on this machine: it answers /health,
/// runs as uid 10001, keeps its data in the /data volume across a restart, and its
/// `mai-agent backup` writes a checked copy and refuses to overwrite one.
@Suite("Integration: the agent's image under podman", .tags(.integration), .serialized,
       .enabled(if: IntegrationTestFleet.enabled, "set MAI_INTEGRATION=1 (as root)"))
struct IntegrationImageTests {
    let port = 28_480

    func podman(_ arguments: String...) throws -> (status: Int32, out: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("podman-\(UUID().uuidString).log").path
        defer { unlink(log) }
        let status = try PodmanImages.podman(arguments, log: log)
        return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    func waitHealthy(_ name: String) async throws -> Bool {
        for _ in 0..<100 {
            if try podman("healthcheck", "run", name).status == 0 { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    func post(_ path: String, _ body: [String: Any]) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    @Test func answersHealthRunsAsNonRootAndKeepsDataAcrossRestarts() async throws {
        guard getuid() == 0 else { throw IntegrationTestFleet.NeedsRoot() }
        let image = PodmanImages.base
        #expect(try podman("image", "exists", image).status == 0, "no image \(image): run make image-test")
        let name = "mai-image-test-\(getpid())"
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("mai-image-data-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        #expect(chown(data, 10001, 10001) == 0)
        defer {
            _ = try? podman("rm", "-f", name)
            try? FileManager.default.removeItem(atPath: data)
        }
        let run = try podman("run", "--detach", "--name", name, "--network=host", "--restart=always", "--health-interval=disable",
                             "--volume", "\(data):/data", "--env", "HOST=127.0.0.1", "--env", "PORT=\(port)",
                             "--env", "ADMIN_BIND=127.0.0.1:\(port + 1)", image)
        #expect(run.status == 0, "\(run.out)")
        #expect(try await waitHealthy(name), "the image's HEALTHCHECK (mai-agent healthcheck) passes")
        #expect(HealthPoller.status(host: "127.0.0.1", port: port, path: "/health") == 200)

        let user = try podman("exec", name, "id", "-u")
        #expect(user.out.trimmingCharacters(in: .whitespacesAndNewlines) == "10001")
        let top = try podman("top", name, "user", "comm")
        #expect(!top.out.split(separator: "\n").dropFirst().contains { $0.hasPrefix("root") }, "no process runs as root: \(top.out)")
        #expect(try podman("inspect", "--format", "{{.Config.User}}", name).out.trimmingCharacters(in: .whitespacesAndNewlines) == "mai")

        #expect(try await post("/api/v1/auths/signup", ["name": "Admin", "email": "admin@image.example", "password": "password 123"]) == 200)
        #expect(FileManager.default.fileExists(atPath: data + "/webui.db"), "the database lives in the volume")

        // A restart (and a fresh container on the same volume) keeps the account.
        #expect(try podman("restart", name).status == 0)
        #expect(try await waitHealthy(name))
        #expect(try await post("/api/v1/auths/signin", ["email": "admin@image.example", "password": "password 123"]) == 200)
        #expect(try podman("rm", "-f", name).status == 0)
        #expect(try podman("run", "--detach", "--name", name, "--network=host", "--health-interval=disable", "--volume", "\(data):/data",
                           "--env", "HOST=127.0.0.1", "--env", "PORT=\(port)", "--env", "ADMIN_BIND=127.0.0.1:\(port + 1)", image).status == 0)
        #expect(try await waitHealthy(name))
        #expect(try await post("/api/v1/auths/signin", ["email": "admin@image.example", "password": "password 123"]) == 200)

        // mai-agent backup: a checked copy in the volume, never over an existing file.
        let backup = try podman("exec", name, "mai-agent", "backup", "--output", "/data/backups/manual.db")
        #expect(backup.status == 0 && backup.out.hasPrefix("backup /data/backups/manual.db "), "\(backup.out)")
        let attributes = try FileManager.default.attributesOfItem(atPath: data + "/backups/manual.db")
        #expect((attributes[.size] as? Int ?? 0) > 0)
        let line = backup.out.split(separator: " ")
        #expect(line.count == 5 && line[3] == "bytes" && String(line[2]) == String(attributes[.size] as? Int ?? -1))
        let again = try podman("exec", name, "mai-agent", "backup", "--output", "/data/backups/manual.db")
        #expect(again.status != 0 && again.out.contains("already exists"), "\(again.out)")
    }
}
