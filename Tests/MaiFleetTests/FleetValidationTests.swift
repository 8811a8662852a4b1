import Foundation
import MaiCore
import Testing
@testable import MaiFleet

@Suite struct FleetValidationTests {
    @Test func minimalFleetResolvesDefaults() throws {
        let fleet = try TemporaryFleet()
        defer { fleet.remove() }
        let loaded = try fleet.loader.load()
        let instance = try #require(loaded.instances.first)
        #expect(instance.slug == "acme")
        #expect(instance.location == "nbg1")
        #expect(instance.serverType == "cx23")
        #expect(instance.image == "debian-12")
        #expect(instance.agentImageReference == "mai-agent:0.1.0")
        #expect(instance.markupRate == .standard)
        #expect(instance.firewallSSHSources == ["0.0.0.0/0", "::/0"])
        #expect(instance.usageSyncIntervalSeconds == 900)
        #expect(loaded.defaults.deploy.parallel == 8)
        #expect(loaded.defaults.deploy.effectiveBatch == 8)
        #expect(loaded.defaults.deploy.maxFailures == 1)
        #expect(instance.host == nil)
        #expect(instance.disabled == false)
    }

    @Test func clientOverridesWinAndValuesAreNormalised() throws {
        let fleet = try TemporaryFleet(clients: ["globex": """
            name = "  Globex  "
            domain = "AI.Globex.Example"
            admin_email = " IT@Globex.EXAMPLE "
            openrouter_key_limit = "49.99"
            openrouter_limit_reset = "weekly"
            server_type = "cx33"
            location = "fsn1"
            agent_version = "0.2.0-rc.1"
            host = "2001:DB8::11"
            disabled = true
            """])
        defer { fleet.remove() }
        let instance = try #require(try fleet.loader.load().instances.first)
        #expect(instance.name == "Globex")
        #expect(instance.domain == "ai.globex.example")
        #expect(instance.adminEmail == "it@globex.example")
        #expect(instance.openRouterKeyLimit == Money(nanos: 49_990_000_000))
        #expect(instance.openRouterLimitReset == .weekly)
        #expect(instance.serverType == "cx33")
        #expect(instance.location == "fsn1")
        #expect(instance.agentVersion == "0.2.0-rc.1")
        #expect(instance.host == "2001:db8::11")
        #expect(instance.disabled)
    }

    @Test func badDomainNamesFileLineAndField() throws {
        let fleet = try TemporaryFleet(clients: ["acme": """
            # Acme
            name = "Acme GmbH"

            admin_email = "admin@acme.example"


            domain = "acme"
            """])
        defer { fleet.remove() }
        #expect(fleet.problems() == [
            #"fleet/clients/acme.toml:7: domain: "acme" is not a hostname — use the client's domain such as chat.acme.example"#,
        ])
    }

    @Test func collectsEveryProblemInEveryFile() throws {
        let fleet = try TemporaryFleet(
            fleet: """
                [hetzner]
                location = "nbg2"
                ssh_keys = []

                [agent]
                version = "0.1.0"
                markup_rate = 1.3
                port = 0

                [deploy]
                parallel = 65

                [operator]
                email = "ops"
                """,
            clients: [
                "acme": """
                    name = "Acme"
                    domain = "chat.acme.example"
                    admin_email = "admin@@acme.example"
                    openrouter_key_limit = "-5"
                    """,
                "globex": """
                    name = 42
                    domain = "chat.globex.example"
                    """,
            ])
        defer { fleet.remove() }
        #expect(fleet.problems() == [
            #"fleet/fleet.toml:2: hetzner.location: "nbg2" is not a Hetzner location — did you mean "nbg1"? expected one of fsn1, nbg1, hel1, ash, hil, sin"#,
            "fleet/fleet.toml:3: hetzner.ssh_keys: empty — name at least one SSH key of the Hetzner project (without one, Hetzner e-mails a root password)",
            "fleet/fleet.toml:7: agent.markup_rate: expected a decimal string such as \"1.3\", found a float — quote it, so no binary rounding touches it",
            "fleet/fleet.toml:8: agent.port: 0 is out of range — expected 1–65535",
            "fleet/fleet.toml:11: deploy.parallel: 65 is out of range — expected 1–64",
            "fleet/fleet.toml:14: operator.email: \"ops\" is not an e-mail address — write the operator's address such as \"ops@example.com\"",
            "fleet/clients/acme.toml:3: admin_email: \"admin@@acme.example\" is not an e-mail address — write the client administrator's address such as admin@acme.example",
            "fleet/clients/acme.toml:4: openrouter_key_limit: \"-5\" is not a USD amount — expected a positive amount with at most 2 decimals, such as \"50\" or \"49.99\"",
            "fleet/clients/globex.toml: admin_email: required — add admin_email = \"admin@globex.example\"",
            "fleet/clients/globex.toml:1: name: expected a string such as \"Acme GmbH\", found an integer",
        ])
    }

    @Test func missingRequiredFieldsInFleetTOML() throws {
        let fleet = try TemporaryFleet(fleet: "[agent]\nport = 8080\n")
        defer { fleet.remove() }
        #expect(fleet.problems() == [
            "fleet/fleet.toml: hetzner.ssh_keys: required — add ssh_keys = [\"operator\"] under [hetzner]",
            "fleet/fleet.toml: operator.email: required — add email = \"ops@example.com\" under [operator]",
            "fleet/fleet.toml:1: agent.version: required — add version = \"0.1.0\" under [agent]",
        ])
    }

    @Test func unknownKeysAreErrorsWithSuggestions() throws {
        let fleet = try TemporaryFleet(
            fleet: TemporaryFleet.fleetTOML + """
                [deploy]
                paralel = 4
                max_failure = 2
                frobnicate = 1
                markup_rate = "1.2"

                [agnet]
                x = 1
                """,
            clients: ["acme": TemporaryFleet.client() + "admin_mail = \"x@y.example\"\nserver-type = \"cx33\"\nemail = \"a@b.example\"\n"])
        defer { fleet.remove() }
        #expect(fleet.problems() == [
            "fleet/fleet.toml:10: deploy.paralel: unknown key — did you mean parallel?",
            "fleet/fleet.toml:11: deploy.max_failure: unknown key — did you mean max_failures?",
            "fleet/fleet.toml:12: deploy.frobnicate: unknown key — expected one of: parallel, batch, max_failures",
            "fleet/fleet.toml:13: deploy.markup_rate: unknown key here — markup_rate belongs under [agent]",
            "fleet/fleet.toml:15: [agnet]: unknown table — did you mean [agent]?",
            "fleet/clients/acme.toml:4: admin_mail: unknown key — did you mean admin_email?",
            "fleet/clients/acme.toml:5: server-type: unknown key — did you mean server_type?",
            "fleet/clients/acme.toml:6: email: unknown key — did you mean admin_email?",
        ])
    }

    @Test func keysAtTheTopOfFleetTOMLPointToTheirTable() throws {
        let fleet = try TemporaryFleet(fleet: "location = \"nbg1\"\nlocaton = \"x\"\n" + TemporaryFleet.fleetTOML)
        defer { fleet.remove() }
        #expect(fleet.problems() == [
            "fleet/fleet.toml:1: location: belongs under [hetzner] — move it below that header",
            "fleet/fleet.toml:2: locaton: unknown key — did you mean location?",
        ])
    }

    @Test func clientFilesHaveNoTables() throws {
        let fleet = try TemporaryFleet(clients: ["acme": TemporaryFleet.client() + "[overrides]\nlocation = \"fsn1\"\n"])
        defer { fleet.remove() }
        let problems = fleet.problems()
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("fleet/clients/acme.toml:4: [overrides]: client files have no tables") == true)
    }

    @Test func duplicateDomainsAndHostsAreRefused() throws {
        let fleet = try TemporaryFleet(clients: [
            "acme": TemporaryFleet.client(domain: "chat.shared.example") + "host = \"198.51.100.11\"\n",
            "globex": "name = \"Globex\"\nadmin_email = \"a@globex.example\"\ndomain = \"Chat.Shared.Example\"\nhost = \"198.51.100.11\"\n",
        ])
        defer { fleet.remove() }
        #expect(fleet.problems() == [
            "fleet/clients/globex.toml:3: domain: \"chat.shared.example\" is already the domain of fleet/clients/acme.toml — every client needs its own domain",
            "fleet/clients/globex.toml:4: host: \"198.51.100.11\" is already the host of fleet/clients/acme.toml — every client needs its own machine",
        ])
    }

    @Test func slugsComeFromFileNamesAndAreChecked() throws {
        let fleet = try TemporaryFleet(clients: ["Acme_Corp": TemporaryFleet.client(), "ab": TemporaryFleet.client(domain: "b.example")])
        try fleet.write("clients/notes.txt", "hello")
        try fleet.write("clients/README.md", "ignored")
        try fleet.write("clients/.gitkeep", "")
        defer { fleet.remove() }
        #expect(fleet.problems() == [
            "fleet/clients/Acme_Corp.toml: slug: \"Acme_Corp\" is not a valid slug — name the file with 3–32 lower-case letters, digits and dashes, starting with a letter such as acme-corp.toml",
            "fleet/clients/ab.toml: slug: \"ab\" is not a valid slug — name the file with 3–32 lower-case letters, digits and dashes, starting with a letter",
            "fleet/clients/notes.txt: not a client file — clients/ holds only <slug>.toml files",
        ])
    }

    @Test(arguments: [
        ("openrouter_key = \"sk-or-v1-0123456789abcdef\"", "openrouter_key", "an OpenRouter key"),
        ("# token: " + String(repeating: "aB3", count: 22), nil, "a 64-character token (such as a Hetzner API token)"),
        ("note = \"-----BEGIN OPENSSH PRIVATE KEY-----\"", "note", "a PEM key or certificate"),
    ] as [(String, String?, String)])
    func secretLookingTextIsRefusedAnywhere(line: String, field: String?, kind: String) throws {
        let fleet = try TemporaryFleet(clients: ["acme": TemporaryFleet.client() + line + "\n"])
        defer { fleet.remove() }
        let problems = fleet.problems()
        let prefix = "fleet/clients/acme.toml:4: " + (field.map { "\($0): " } ?? "")
        #expect(problems.first == prefix + "looks like \(kind); secrets belong in the environment or the state directory — remove it from the file (and rotate it: it has been written to disk)")
    }

    @Test func secretInFleetTOMLArrayNamesItsLine() throws {
        let token = String(repeating: "x", count: 64)
        let fleet = try TemporaryFleet(fleet: TemporaryFleet.fleetTOML.replacingOccurrences(of: "ssh_keys = [\"operator\"]", with: "ssh_keys = [\n  \"operator\",\n  \"\(token)\",\n]"))
        defer { fleet.remove() }
        #expect(fleet.problems().first?.hasPrefix("fleet/fleet.toml:4: hetzner.ssh_keys: looks like a 64-character token") == true)
    }

    @Test func syntaxErrorsNameTheLine() throws {
        let fleet = try TemporaryFleet(clients: ["acme": "name = \"Acme\"\ndomain = chat.acme.example\n"])
        defer { fleet.remove() }
        #expect(fleet.problems() == [
            "fleet/clients/acme.toml:2: \"chat.acme.example\" is not a TOML value — quote text (\"…\"), or write a number, true or false",
        ])
    }

    @Test func missingFilesSayWhatToDo() throws {
        let fleet = try TemporaryFleet(fleet: nil, clients: [:])
        try FileManager.default.removeItem(at: fleet.root.appendingPathComponent("clients"))
        defer { fleet.remove() }
        #expect(fleet.problems() == [
            "fleet/fleet.toml: not found — run `maictl init --fleet fleet` to write a starter fleet",
            "fleet/clients/: not found — create the directory and add one <slug>.toml per client",
        ])
    }

    @Test func limitResetNeedsALimitAndBrandDirMustExistInside() throws {
        let fleet = try TemporaryFleet(clients: ["acme": TemporaryFleet.client() + """
            openrouter_limit_reset = "monthly"
            brand_dir = "brands/acme"
            """, "beta": TemporaryFleet.client(domain: "chat.beta.example") + "brand_dir = \"../elsewhere\"\nopenrouter_limit_reset = \"yearly\"\n"])
        defer { fleet.remove() }
        #expect(fleet.problems() == [
            "fleet/clients/acme.toml:4: openrouter_limit_reset: has no effect without openrouter_key_limit — set the limit or remove this line",
            "fleet/clients/acme.toml:5: brand_dir: fleet/brands/acme is not a directory — create it (logo, colours) or remove the line",
            "fleet/clients/beta.toml:4: brand_dir: \"../elsewhere\" must be a directory inside the fleet directory, relative to it, such as \"brands/beta\"",
            "fleet/clients/beta.toml:5: openrouter_limit_reset: \"yearly\" is not a reset period — expected \"daily\", \"weekly\" or \"monthly\"",
        ])
        try FileManager.default.createDirectory(at: fleet.root.appendingPathComponent("brands/acme"), withIntermediateDirectories: true)
        #expect(fleet.problems().count == 3)
    }

    @Test func markupRateAndHetznerValues() throws {
        let fleet = try TemporaryFleet(fleet: """
            [hetzner]
            ssh_keys = ["operator", "ssh-ed25519 AAAAC3Nza", "operator"]
            firewall_ssh_sources = ["203.0.113.7/24", "10.0.0.0/8", "2001:db8::/129", "nowhere"]
            server_type = "big"

            [agent]
            version = "0.1.0"
            image = "mai-agent:0.1.0"
            markup_rate = "1.2345678"
            usage_sync_interval = "15"

            [operator]
            email = "ops@example.com"
            """)
        defer { fleet.remove() }
        #expect(fleet.problems() == [
            "fleet/fleet.toml:2: hetzner.ssh_keys: looks like a public key — give the key's name in the Hetzner project, as `hcloud ssh-key list` shows it",
            "fleet/fleet.toml:2: hetzner.ssh_keys: \"operator\" is listed twice",
            "fleet/fleet.toml:3: hetzner.firewall_ssh_sources: \"203.0.113.7/24\" has host bits set after /24 — write the network address",
            "fleet/fleet.toml:3: hetzner.firewall_ssh_sources: \"2001:db8::/129\": the prefix length must be 0–128",
            "fleet/fleet.toml:3: hetzner.firewall_ssh_sources: \"nowhere\" is not a network in CIDR form — write e.g. \"203.0.113.0/24\" or \"2001:db8::/32\"",
            "fleet/fleet.toml:4: hetzner.server_type: \"big\" is not a Hetzner server type — write a name such as \"cx23\", \"cpx22\" or \"cax11\"",
            "fleet/fleet.toml:8: agent.image: \"mai-agent:0.1.0\" carries a tag — write the name alone and the tag in agent.version",
            "fleet/fleet.toml:9: agent.markup_rate: \"1.2345678\" is not a markup rate — expected a decimal greater than 0 with at most 6 decimals, such as \"1.3\" (cost + 30 %)",
            "fleet/fleet.toml:10: agent.usage_sync_interval: \"15\" is not an interval between 1 minute and 24 hours — write one such as \"15m\" or \"1h\"",
        ])
    }
}
