import Foundation
import MaiCore
import Testing
@testable import MaiFleet

@Suite struct BrandFilesTests {
    static let svg = Data(#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8"/></svg>"#.utf8)

    static func parse(_ text: String, files: [String: Data] = ["logo.svg": svg]) throws(FleetValidationError) -> BrandingUpdate {
        try BrandFiles.parse(text, file: "fleet/clients/acme/brand/brand.toml") { files[$0] }
    }

    static func problems(_ text: String, files: [String: Data] = ["logo.svg": svg]) -> [String] {
        do {
            _ = try parse(text, files: files)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func theExampleFleetsAcmeBrandIsValid() throws {
        let directory = ExampleFleetTests.directory.appendingPathComponent("clients/acme/brand")
        let update = try BrandFiles.load(directory: directory, displayPath: "fleet/clients/acme/brand")
        #expect(update.name == "Acme Assistant")
        #expect(update.logo?.contentType == "image/svg+xml")
        #expect(update.favicon?.contentType == "image/png")
        #expect(update.light["primary"] == "#b3261e")
        #expect(update.dark["on-primary"] == "#601410")
        // The brand directory sits beside clients/acme.toml without upsetting the fleet loader.
        #expect(try FleetLoader(directory: ExampleFleetTests.directory, displayPath: "fleet").load().clients.count == 2)
    }

    @Test func colourKeysUseUnderscoresAndMapToTheCSSVariables() throws {
        let update = try Self.parse("""
            name = "Acme"
            logo = "logo.svg"
            [light]
            primary = "#0B5FFF"
            on_primary = "#fff"
            surface_alt = "#f0f0f0"
            """)
        #expect(update.light == ["primary": "#0b5fff", "on-primary": "#ffffff", "surface-alt": "#f0f0f0"])
        // Stored as written anew from the SVG allowlist.
        #expect(update.logo?.data == Data(#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect height="8" width="8"></rect></svg>"#.utf8),
                "\(String(decoding: update.logo?.data ?? Data(), as: UTF8.self))")
    }

    @Test func everyProblemHasItsFileAndLine() {
        let problems = Self.problems("""
            name = "Acme"
            logo = "missing.png"
            favicn = "x.png"
            primary = "#fff"

            [light]
            primary = "#777777"
            on_primary = "#ffffff"
            shadow = "#000"

            [dark]
            primary = "blue"

            [fonts]
            """)
        #expect(problems == [
            "fleet/clients/acme/brand/brand.toml:2: logo: missing.png does not exist next to brand.toml — add the file or fix the name",
            "fleet/clients/acme/brand/brand.toml:3: favicn: unknown key — did you mean favicon?",
            "fleet/clients/acme/brand/brand.toml:4: primary: unknown key — colours go under [light] or [dark]",
            "fleet/clients/acme/brand/brand.toml:7: light: text #ffffff on primary #777777 has a contrast of 4.48:1, below the 4.5:1 WCAG AA minimum; darken or lighten one of them (set on-primary)",
            "fleet/clients/acme/brand/brand.toml:9: light.shadow: not a colour of the UI — use one of primary, primary_hover, on_primary, bg, surface, surface_alt, text, muted, border, focus",
            "fleet/clients/acme/brand/brand.toml:12: dark.primary: \"blue\" is not a colour; write it as \"#rrggbb\" (for example \"#0b5fff\")",
            "fleet/clients/acme/brand/brand.toml:14: [fonts]: unknown table — expected [light] or [dark]",
        ], "\(problems)")
    }

    @Test func aMaliciousLogoIsRefusedOnTheLineThatNamesIt() {
        let evil = Data(#"<svg xmlns="http://www.w3.org/2000/svg" onload="fetch('/api')"/>"#.utf8)
        let problems = Self.problems("name = \"Acme\"\n\nlogo = \"logo.svg\"\n", files: ["logo.svg": evil])
        #expect(problems == ["fleet/clients/acme/brand/brand.toml:3: logo: SVG refused: it has an event handler attribute (onload=)"])
    }

    @Test func syntaxErrorsAndWrongTypesNameTheLine() {
        #expect(Self.problems("name = \"Acme\"\nlogo = \n") .first?.hasPrefix("fleet/clients/acme/brand/brand.toml:2:") == true)
        #expect(Self.problems("name = 5\n") == ["fleet/clients/acme/brand/brand.toml:1: name: expected a string such as \"Acme Assistant\", found an integer"])
        #expect(Self.problems("logo = \"../secret.png\"\n") == ["fleet/clients/acme/brand/brand.toml:1: logo: \"../secret.png\" must be a file name in the brand directory (no / or leading .)"])
    }
}
