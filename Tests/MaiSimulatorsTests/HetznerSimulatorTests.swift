import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MaiSimulators
import NIOCore
import Testing

@Suite struct HetznerSimulatorTests {
    static let token = "sim-hcloud-token"
    static let auth = TestSupport.headers(token)

    static func simulator(clock: ManualSimulatorClock = ManualSimulatorClock(), _ change: (inout HetznerConfiguration) -> Void = { _ in }) -> HetznerSimulator {
        var configuration = HetznerConfiguration()
        configuration.tokens = [token]
        configuration.createDuration = .seconds(10)
        configuration.actionDuration = .seconds(1)
        change(&configuration)
        return HetznerSimulator(configuration: configuration, clock: clock.clock)
    }

    static let createBody = ##"{"name":"acme","server_type":"cx23","image":"debian-12","location":"fsn1","labels":{"mai/client":"acme","mai/managed":"true"},"user_data":"#cloud-config\n"}"##

    static func header(_ response: TestResponse, _ name: String) -> String? {
        response.headers[HTTPField.Name(name)!]
    }

    @Test func aCreatedServerHasEveryFieldOfTheFacts() async throws {
        let sim = Self.simulator { $0.hostPool = ["198.51.100.11"] }
        try await Application(router: sim.buildRouter()).test(.router) { client in
            try await client.execute(uri: "/v1/servers", method: .post, headers: Self.auth, body: ByteBuffer(string: Self.createBody)) { response in
                #expect(response.status == .created)
                let body = try TestSupport.json(response.body)
                #expect(Set(body.keys) == ["server", "action", "next_actions", "root_password"])
                #expect(body["root_password"] is String, "no SSH keys: a root password")
                let server = try #require(body["server"] as? [String: Any])
                #expect(Set(server.keys) == [
                    "id", "name", "status", "created", "public_net", "private_net", "server_type", "datacenter", "image", "iso",
                    "rescue_enabled", "locked", "backup_window", "outgoing_traffic", "ingoing_traffic", "included_traffic",
                    "protection", "labels", "volumes", "load_balancers", "primary_disk_size", "placement_group",
                ])
                #expect(server["status"] as? String == "initializing")
                let publicNet = try #require(server["public_net"] as? [String: Any])
                #expect(Set(publicNet.keys) == ["ipv4", "ipv6", "floating_ips", "firewalls"])
                #expect((publicNet["ipv4"] as? [String: Any])?["ip"] as? String == "198.51.100.11")
                let type = try #require(server["server_type"] as? [String: Any])
                #expect(Set(type.keys).isSuperset(of: ["id", "name", "description", "cores", "memory", "disk", "prices", "storage_type", "cpu_type", "architecture"]))
                let location = try #require((server["datacenter"] as? [String: Any])?["location"] as? [String: Any])
                #expect(Set(location.keys) == ["id", "name", "description", "country", "city", "latitude", "longitude", "network_zone"])
                #expect(location["name"] as? String == "fsn1")
                let action = try #require(body["action"] as? [String: Any])
                #expect(Set(action.keys) == ["id", "command", "status", "progress", "started", "finished", "resources", "error"])
                #expect(action["command"] as? String == "create_server")
                #expect(action["status"] as? String == "running")
                #expect(Self.header(response, "X-Correlation-Id")?.count == 16)
                #expect(Self.header(response, "RateLimit-Limit") == "3600")
                #expect(Self.header(response, "RateLimit-Remaining") == "3599")
            }
        }
    }

    @Test func actionsTakeTimeAndReportProgress() async throws {
        let clock = ManualSimulatorClock()
        let sim = Self.simulator(clock: clock)
        try await Application(router: sim.buildRouter()).test(.router) { client in
            let actionID = try await client.execute(uri: "/v1/servers", method: .post, headers: Self.auth, body: ByteBuffer(string: Self.createBody)) { response in
                try #require((try TestSupport.json(response.body)["action"] as? [String: Any])?["id"] as? Int)
            }
            func action() async throws -> [String: Any] {
                try await client.execute(uri: "/v1/actions/\(actionID)", method: .get, headers: Self.auth) { response in
                    try #require(try TestSupport.json(response.body)["action"] as? [String: Any])
                }
            }
            #expect(try await action()["progress"] as? Int == 0)
            clock.advance(by: .seconds(4))
            let halfway = try await action()
            #expect(halfway["status"] as? String == "running")
            #expect(halfway["progress"] as? Int == 40)
            #expect(halfway["finished"] is NSNull)
            clock.advance(by: .seconds(6))
            let done = try await action()
            #expect(done["status"] as? String == "success")
            #expect(done["progress"] as? Int == 100)
            #expect(done["finished"] is String)
            try await client.execute(uri: "/v1/servers?name=acme", method: .get, headers: Self.auth) { response in
                let servers = try #require(try TestSupport.json(response.body)["servers"] as? [[String: Any]])
                #expect(servers.first?["status"] as? String == "running")
            }
        }
    }

    @Test func badTokensAndBadInputAreErrorsInHetznersShape() async throws {
        let sim = Self.simulator()
        try await Application(router: sim.buildRouter()).test(.router) { client in
            for headers in [TestSupport.headers(nil), TestSupport.headers("other")] {
                try await client.execute(uri: "/v1/servers", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized)
                    #expect(String(buffer: response.body) == #"{"error":{"code":"unauthorized","message":"unable to authenticate","details":null}}"#)
                    #expect(Self.header(response, "X-Correlation-Id") != nil)
                }
            }
            try await client.execute(uri: "/v1/servers", method: .post, headers: Self.auth, body: ByteBuffer(string: "{not json")) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains(#""code":"json_error""#))
            }
            let bad = #"{"name":"-acme","server_type":"cx99","image":"debian-12","user_data":"\#(String(repeating: "x", count: 33 * 1024))"}"#
            try await client.execute(uri: "/v1/servers", method: .post, headers: Self.auth, body: ByteBuffer(string: bad)) { response in
                #expect(response.status == .badRequest)
                let error = try #require(try TestSupport.json(response.body)["error"] as? [String: Any])
                #expect(error["code"] as? String == "invalid_input")
                let fields = try #require((error["details"] as? [String: Any])?["fields"] as? [[String: Any]])
                #expect(fields.map { $0["name"] as? String } == ["name", "server_type", "user_data"])
            }
            try await client.execute(uri: "/v1/servers", method: .post, headers: Self.auth, body: ByteBuffer(string: Self.createBody)) { #expect($0.status == .created) }
            try await client.execute(uri: "/v1/servers", method: .post, headers: Self.auth, body: ByteBuffer(string: Self.createBody)) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body).contains(#""code":"uniqueness_error""#))
            }
            try await client.execute(uri: "/v1/servers/999", method: .get, headers: Self.auth) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/servers?label_selector=a%20in%20(b", method: .get, headers: Self.auth) { #expect($0.status == .badRequest) }
        }
    }

    @Test func aSpentBudgetAnswers429WithHeadersAndRefills() async throws {
        let clock = ManualSimulatorClock()
        let sim = Self.simulator(clock: clock) { $0.rateLimit = 2 }
        try await Application(router: sim.buildRouter()).test(.router) { client in
            for _ in 0..<2 { try await client.execute(uri: "/v1/locations", method: .get, headers: Self.auth) { #expect($0.status == .ok) } }
            try await client.execute(uri: "/v1/locations", method: .get, headers: Self.auth) { response in
                #expect(response.status == .tooManyRequests)
                #expect(String(buffer: response.body).contains(#""code":"rate_limit_exceeded""#))
                #expect(Self.header(response, "RateLimit-Limit") == "2")
                #expect(Self.header(response, "RateLimit-Remaining") == "0")
                let reset = try #require(Self.header(response, "RateLimit-Reset").flatMap { Int($0) })
                #expect(reset == Int(clock.now.timeIntervalSince1970) + 2)
            }
            // One request refills per second.
            clock.advance(by: .seconds(1))
            try await client.execute(uri: "/v1/locations", method: .get, headers: Self.auth) { response in
                #expect(response.status == .ok)
                #expect(Self.header(response, "RateLimit-Remaining") == "0")
            }
        }
    }

    @Test func listsArePaginatedAndFilteredByLabels() async throws {
        let sim = Self.simulator { $0.createDuration = .zero }
        try await Application(router: sim.buildRouter()).test(.router) { client in
            for (index, labels) in [#"{"mai/managed":"true","mai/client":"a"}"#, #"{"mai/managed":"true","mai/client":"b"}"#, #"{"other":"x"}"#].enumerated() {
                let body = #"{"name":"s\#(index)","server_type":"cx23","image":"debian-12","labels":\#(labels)}"#
                try await client.execute(uri: "/v1/servers", method: .post, headers: Self.auth, body: ByteBuffer(string: body)) { #expect($0.status == .created) }
            }
            try await client.execute(uri: "/v1/servers?per_page=2&page=1", method: .get, headers: Self.auth) { response in
                let body = try TestSupport.json(response.body)
                #expect((body["servers"] as? [Any])?.count == 2)
                let pagination = try #require((body["meta"] as? [String: Any])?["pagination"] as? [String: Any])
                #expect(pagination["page"] as? Int == 1 && pagination["per_page"] as? Int == 2)
                #expect(pagination["next_page"] as? Int == 2 && pagination["previous_page"] is NSNull)
                #expect(pagination["last_page"] as? Int == 2 && pagination["total_entries"] as? Int == 3)
            }
            let cases = [
                ("mai/managed=true", ["s0", "s1"]), ("mai/managed==true,mai/client=b", ["s1"]), ("mai/client!=a", ["s1", "s2"]),
                ("!mai/managed", ["s2"]), ("mai/client%20in%20(a,b)", ["s0", "s1"]), ("mai/client%20notin%20(a)", ["s1", "s2"]), ("other", ["s2"]),
            ]
            for (selector, names) in cases {
                try await client.execute(uri: "/v1/servers?label_selector=\(selector)", method: .get, headers: Self.auth) { response in
                    let servers = try #require(try TestSupport.json(response.body)["servers"] as? [[String: Any]])
                    #expect(servers.map { $0["name"] as? String } == names, "\(selector)")
                }
            }
        }
    }

    @Test func theHostPoolIsHandedOutInOrder() async throws {
        let sim = Self.simulator { $0.createDuration = .zero }
        try await Application(router: sim.buildRouter()).test(.router) { client in
            try await client.execute(uri: "/__sim/hosts", method: .post, body: ByteBuffer(string: #"{"ipv4":["198.51.100.21","198.51.100.22"]}"#)) {
                #expect($0.status == .ok)
            }
            var addresses: [String] = []
            for index in 0..<3 {
                let body = #"{"name":"s\#(index)","server_type":"cx23","image":"debian-12"}"#
                addresses.append(try await client.execute(uri: "/v1/servers", method: .post, headers: Self.auth, body: ByteBuffer(string: body)) { response in
                    let server = try #require(try TestSupport.json(response.body)["server"] as? [String: Any])
                    return try #require(((server["public_net"] as? [String: Any])?["ipv4"] as? [String: Any])?["ip"] as? String)
                })
            }
            #expect(addresses == ["198.51.100.21", "198.51.100.22", "192.0.2.1"])
        }
    }

    @Test func firewallsKeepRulesAndKnowTheirServers() async throws {
        let sim = Self.simulator { $0.createDuration = .zero }
        try await Application(router: sim.buildRouter()).test(.router) { client in
            let rules = #"[{"direction":"in","protocol":"tcp","port":"22","source_ips":["203.0.113.0/24"],"destination_ips":[]}]"#
            let firewallID = try await client.execute(uri: "/v1/firewalls", method: .post, headers: Self.auth,
                                                      body: ByteBuffer(string: #"{"name":"mai-fleet","rules":\#(rules)}"#)) { response in
                #expect(response.status == .created)
                let body = try TestSupport.json(response.body)
                #expect((body["actions"] as? [Any])?.count == 1)
                return try #require((body["firewall"] as? [String: Any])?["id"] as? Int)
            }
            try await client.execute(uri: "/v1/firewalls", method: .post, headers: Self.auth,
                                     body: ByteBuffer(string: #"{"name":"bad","rules":[{"direction":"in","protocol":"tcp","source_ips":["x"]}]}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("rules[0].port"))
            }
            let body = #"{"name":"acme","server_type":"cx23","image":"debian-12","firewalls":[{"firewall":\#(firewallID)}]}"#
            try await client.execute(uri: "/v1/servers", method: .post, headers: Self.auth, body: ByteBuffer(string: body)) { response in
                let server = try #require(try TestSupport.json(response.body)["server"] as? [String: Any])
                let firewalls = try #require((server["public_net"] as? [String: Any])?["firewalls"] as? [[String: Any]])
                #expect(firewalls.map { $0["id"] as? Int } == [firewallID])
            }
        }
    }
}
