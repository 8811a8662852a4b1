import Foundation

/// Reads and validates a fleet directory: `fleet.toml` and `clients/*.toml`.
///
/// Every problem in every file is collected, so one run of `maictl fleet validate` lists them all.
public struct FleetLoader: Sendable {
    /// The fleet directory.
    public var directory: URL
    /// How the directory is named in messages (`fleet`, as the operator typed it).
    public var displayPath: String

    /// Reads `directory`, naming files as `displayPath/…` in problems.
    public init(directory: URL, displayPath: String? = nil) {
        self.directory = directory
        self.displayPath = displayPath ?? directory.path
    }

    private func display(_ relative: String) -> String {
        displayPath.isEmpty || displayPath == "." ? relative : "\(displayPath.hasSuffix("/") ? String(displayPath.dropLast()) : displayPath)/\(relative)"
    }

    /// The validated fleet; throws `FleetValidationError` listing every problem.
    public func load() throws(FleetValidationError) -> Fleet {
        var problems: [FleetProblem] = []
        let fileManager = FileManager.default

        let fleetFile = display("fleet.toml")
        var defaults = FleetDefaults()
        var fleetProblems: [FleetProblem] = []
        if let document = parse(directory.appendingPathComponent("fleet.toml"), display: fleetFile, problems: &fleetProblems, missing: "not found — run `maictl init --fleet \(displayPath)` to write a starter fleet") {
            let read = FleetDefaults.read(document, file: fleetFile)
            defaults = read.defaults
            fleetProblems += read.problems
        }
        problems += fleetProblems.sortedByLine()

        let clientsURL = directory.appendingPathComponent("clients")
        var clients: [ClientSpec] = []
        var isDirectory: ObjCBool = false
        if !fileManager.fileExists(atPath: clientsURL.path, isDirectory: &isDirectory) || !isDirectory.boolValue {
            problems.append(FleetProblem(file: display("clients/"), line: nil, field: nil, "not found — create the directory and add one <slug>.toml per client"))
        } else {
            let names = ((try? fileManager.contentsOfDirectory(atPath: clientsURL.path)) ?? []).sorted()
            var domains: [String: String] = [:]
            var hosts: [String: String] = [:]
            for fileName in names where !fileName.hasPrefix(".") && !fileName.hasSuffix(".md") {
                var fileProblems: [FleetProblem] = []
                defer { problems += fileProblems.sortedByLine() }
                let file = display("clients/\(fileName)")
                // clients/<slug>/ beside clients/<slug>.toml holds that client's files (brand/).
                var entryIsDirectory: ObjCBool = false
                if fileManager.fileExists(atPath: clientsURL.appendingPathComponent(fileName).path, isDirectory: &entryIsDirectory),
                   entryIsDirectory.boolValue, names.contains(fileName + ".toml") {
                    continue
                }
                guard fileName.hasSuffix(".toml") else {
                    fileProblems.append(FleetProblem(file: file, line: nil, field: nil, "not a client file — clients/ holds only <slug>.toml files"))
                    continue
                }
                let slug = String(fileName.dropLast(5))
                var slugIsValid = true
                if !FieldRules.isSlug(slug) {
                    slugIsValid = false
                    let suggestion = Self.suggestedSlug(slug).map { " such as \($0).toml" } ?? ""
                    fileProblems.append(FleetProblem(file: file, line: nil, field: "slug", "\"\(slug)\" is not a valid slug — name the file with 3–32 lower-case letters, digits and dashes, starting with a letter\(suggestion)"))
                }
                guard let document = parse(clientsURL.appendingPathComponent(fileName), display: file, problems: &fileProblems, missing: "cannot be read") else { continue }
                let read = ClientSpec.read(document, slug: slug, file: file)
                fileProblems += read.problems
                guard var client = read.client else { continue }
                let domainLine = document.root.entry("domain")?.line
                if let other = domains[client.domain] {
                    fileProblems.append(FleetProblem(file: file, line: domainLine, field: "domain", "\"\(client.domain)\" is already the domain of \(other) — every client needs its own domain"))
                } else {
                    domains[client.domain] = file
                }
                if let host = client.host {
                    if let other = hosts[host] {
                        fileProblems.append(FleetProblem(file: file, line: document.root.entry("host")?.line, field: "host", "\"\(host)\" is already the host of \(other) — every client needs its own machine"))
                    } else {
                        hosts[host] = file
                    }
                }
                if let brand = client.brandDirectory {
                    var brandIsDirectory: ObjCBool = false
                    let brandPath = directory.appendingPathComponent(brand).path
                    if !fileManager.fileExists(atPath: brandPath, isDirectory: &brandIsDirectory) || !brandIsDirectory.boolValue {
                        fileProblems.append(FleetProblem(file: file, line: document.root.entry("brand_dir")?.line, field: "brand_dir", "\(display(brand)) is not a directory — create it (logo, colours) or remove the line"))
                        client.brandDirectory = nil
                    }
                }
                if slugIsValid { clients.append(client) }
            }
        }

        guard problems.isEmpty else { throw FleetValidationError(problems: problems) }
        return Fleet(defaults: defaults, clients: clients)
    }

    /// Parses one file, adding syntax and secret problems; `nil` when it cannot be parsed.
    private func parse(_ url: URL, display file: String, problems: inout [FleetProblem], missing: String) -> TOMLDocument? {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            problems.append(FleetProblem(file: file, line: nil, field: nil, missing))
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            problems.append(FleetProblem(file: file, line: nil, field: nil, "is not UTF-8 text — save it as UTF-8"))
            return nil
        }
        var document: TOMLDocument?
        var fileProblems: [FleetProblem] = []
        do {
            document = try TOMLParser.parse(text)
        } catch {
            fileProblems.append(FleetProblem(file: file, line: error.line, field: nil, error.message))
        }
        for finding in SecretScanner.findings(in: text) {
            let key = document.flatMap { Self.key(onLine: finding.line, in: $0) }
            fileProblems.append(FleetProblem(file: file, line: finding.line, field: key, "looks like \(finding.kind); \(SecretScanner.advice)"))
        }
        problems += fileProblems.sortedByLine()
        return document
    }

    /// The key (`agent.version`) whose value is written on `line`, for secret findings.
    static func key(onLine line: Int, in document: TOMLDocument) -> String? {
        for table in [document.root] + document.tables {
            for entry in table.entries {
                var lines = [entry.line, entry.value.line]
                if case .array(let items) = entry.value.kind { lines += items.map(\.line) }
                if lines.contains(line) { return table.name.isEmpty ? entry.key : "\(table.name).\(entry.key)" }
            }
        }
        return nil
    }

    /// A valid slug close to `text` (lower-cased, underscores and spaces to dashes), if any.
    static func suggestedSlug(_ text: String) -> String? {
        let candidate = text.lowercased().map { $0 == "_" || $0 == " " || $0 == "." ? "-" : $0 }
        let slug = String(candidate)
        return slug != text && FieldRules.isSlug(slug) ? slug : nil
    }
}
