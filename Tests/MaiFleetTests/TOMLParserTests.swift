import Testing
@testable import MaiFleet

@Suite struct TOMLParserTests {
    @Test func readsTablesKeysAndLines() throws {
        let document = try TOMLParser.parse("""
            # comment
            top = "x"

            [hetzner]  # trailing comment
            location = "nbg1"
            ssh_keys = [
                "a",  # first
                'b',
            ]
            port = 8_080
            rate = 1.5
            on = true
            "quoted key" = "v"
            """)
        #expect(document.root.entry("top")?.line == 2)
        let hetzner = try #require(document.table("hetzner"))
        #expect(hetzner.line == 4)
        #expect(hetzner.entry("location")?.line == 5)
        #expect(hetzner.entry("location")?.value.kind == .string("nbg1"))
        let keys = try #require(hetzner.entry("ssh_keys"))
        #expect(keys.line == 6)
        guard case .array(let items) = keys.value.kind else { Issue.record("not an array"); return }
        #expect(items.map(\.line) == [7, 8])
        #expect(items.map(\.kind) == [.string("a"), .string("b")])
        #expect(hetzner.entry("port")?.value.kind == .integer(8080))
        #expect(hetzner.entry("port")?.line == 10)
        #expect(hetzner.entry("rate")?.value.kind == .float("1.5"))
        #expect(hetzner.entry("on")?.value.kind == .boolean(true))
        #expect(hetzner.entry("quoted key")?.value.kind == .string("v"))
    }

    @Test func decodesEscapes() throws {
        let document = try TOMLParser.parse(#"s = "a\"b\\c\n\u00e9\U0001F600""#)
        #expect(document.root.entry("s")?.value.kind == .string("a\"b\\c\né😀"))
        let literal = try TOMLParser.parse(#"s = 'C:\path'"#)
        #expect(literal.root.entry("s")?.value.kind == .string(#"C:\path"#))
    }

    @Test func acceptsCRLF() throws {
        let document = try TOMLParser.parse("a = 1\r\nb = 2\r\n")
        #expect(document.root.entry("b")?.line == 2)
    }

    @Test(arguments: [
        ("a = 1\nb = \"open\n", 2, "the string is not closed — add \" before the end of the line"),
        ("a = 1\n\nhetzner.location = \"x\"", 3, "dotted keys such as hetzner.… are not used in fleet files — put the key under its [table] header"),
        ("a = 1\na = 2", 2, "a is set twice in this file — keep one"),
        ("[x]\n[y]\n[x]", 3, "table [x] is defined twice — merge the two sections"),
        ("[x]\na = 1\n[x]", 3, "table [x] is defined twice — merge the two sections"),
        ("t = { a = 1 }", 1, "inline tables ({ … }) are not used in fleet files — use a [table] or plain keys"),
        ("\nd = 1979-05-27", 2, "dates and times are not used in fleet files — quote the value if it is text"),
        ("x = nbg1", 1, "\"nbg1\" is not a TOML value — quote text (\"…\"), or write a number, true or false"),
        ("x = \"a\" \"b\"", 1, "unexpected text after the value — write one key = value per line (a # starts a comment)"),
        ("x =", 1, "expected a value after ="),
        ("x 1", 1, "expected = after the key x"),
        ("[[servers]]", 1, "arrays of tables ([[…]]) are not used in fleet files"),
        ("[a.b]", 1, "nested tables such as [a.…] are not used in fleet files"),
        ("a = [\n\"x\",\n\"y\"\n", 4, "the array is not closed — add ]"),
        ("a = [\"x\" \"y\"]", 1, "expected , or ] in the array"),
        ("s = \"\"\"x\"\"\"", 1, "multi-line strings (\"\"\") are not used in fleet files"),
        ("s = \"\\q\"", 1, "\\q is not a TOML escape — write \\\\ for a backslash"),
    ])
    func reportsSyntaxErrorsWithLines(text: String, line: Int, message: String) {
        #expect(throws: TOMLSyntaxError(line: line, message)) { try TOMLParser.parse(text) }
    }
}
