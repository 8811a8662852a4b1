import Testing
@testable import MaiFleet

@Suite("Bootstrap: cloud-init's verdict and the DNS check")
struct HostReadinessTests {
    @Test("cloud-init status --long, as Debian 12's cloud-init prints it")
    func cloudInit() {
        let done = "status: done\nboot_status_code: enabled-by-generator\nlast_update: Thu, 03 Dec 2026 10:00:00 +0000\ndetail:\nDataSourceHetzner\n"
        #expect(HostReadiness.cloudInitState(exitStatus: 0, output: done) == .done)
        let failed = "status: error\nboot_status_code: enabled-by-generator\ndetail:\n('scripts_user', RuntimeError('Runparts: 1 failures'))\n"
        guard case .failed(let why) = HostReadiness.cloudInitState(exitStatus: 1, output: failed) else {
            Issue.record("an error is a failure: \(HostReadiness.cloudInitState(exitStatus: 1, output: failed))")
            return
        }
        #expect(why.contains("Runparts: 1 failures"), "\(why)")
        let running = "status: running\nboot_status_code: enabled-by-generator\ndetail:\nRunning in stage: modules-final\n"
        #expect(HostReadiness.cloudInitState(exitStatus: 0, output: running) == .unfinished("status: running; boot_status_code: enabled-by-generator; detail:; Running in stage: modules-final"))
        #expect(HostReadiness.cloudInitState(exitStatus: 0, output: "status: not run\n") == .unfinished("status: not run"))
        guard case .failed(let missing) = HostReadiness.cloudInitState(exitStatus: 127, output: "sh: 1: cloud-init: not found\n") else {
            Issue.record("no cloud-init is a failure")
            return
        }
        #expect(missing.contains("not installed"), "\(missing)")
    }

    @Test("the wait is bounded on the server itself, and the status is printed whatever the wait did")
    func waitCommand() {
        #expect(HostReadiness.cloudInitWait(seconds: 600).argv == ["sh", "-c", "timeout 600 cloud-init status --wait --long >/dev/null 2>&1; cloud-init status --long"])
        #expect(HostReadiness.cloudInitWait(seconds: 0).argv.last!.hasPrefix("timeout 1 "))
    }

    @Test("a domain that does not lead to the server gets the record to add")
    func dns() async {
        #expect(HostReadiness.dnsProblem(domain: "chat.acme.example", serverAddress: "203.0.113.5", addresses: ["203.0.113.5", "2001:db8::5"]) == nil)
        let none = HostReadiness.dnsProblem(domain: "chat.acme.example", serverAddress: "203.0.113.5", addresses: [])
        #expect(none == "chat.acme.example does not resolve: add the DNS record  chat.acme.example. 300 IN A 203.0.113.5  at the domain's DNS provider, wait for it to be visible, then run bootstrap again")
        let wrong = HostReadiness.dnsProblem(domain: "chat.acme.example", serverAddress: "2001:db8::7", addresses: ["198.51.100.9"])
        #expect(wrong?.contains("resolves to 198.51.100.9, not to the server (2001:db8::7)") == true && wrong?.contains("IN AAAA 2001:db8::7") == true, "\(wrong ?? "nil")")
        // The real resolver: /etc/hosts has localhost; a name under .invalid never resolves (RFC 6761).
        #expect(await HostReadiness.resolve("localhost").contains("127.0.0.1"))
        #expect(await HostReadiness.resolve("chat.mai-bootstrap-test.invalid").isEmpty)
    }
}
