import MaiCore
import Testing
@testable import MaiFleet

@Suite struct TableTests {
    @Test func alignsColumnsWithoutTrailingSpaces() {
        var table = Table(columns: [.init("NAME"), .init("COST", alignment: .right), .init("NOTE")])
        table.append(["Zoë", "1.5", ""])
        table.append(["a much longer name", "120", "two\nlines"])
        table.append(["short"])
        #expect(table.render() == """
            NAME                COST  NOTE
            Zoë                  1.5
            a much longer name   120  two lines
            short

            """)
    }

    @Test func emptyTableIsTheHeader() {
        #expect(Table(columns: [.init("SLUG"), .init("DOMAIN")]).render() == "SLUG  DOMAIN\n")
    }

    /// A name an agent reports (an employee typed it) cannot steer the operator's terminal: no ESC
    /// sequence (window title, cursor moves, colours), no bidi override survives into a table or a CSV.
    @Test func cellsFromAgentsCannotSteerTheTerminal() {
        var table = Table(columns: [.init("USER"), .init("COST")])
        let hostile = "Eve\u{1B}]0;owned\u{07}\u{1B}[2J\u{202E}nimda\u{0}"
        table.append([hostile, "1"])
        let text = table.render()
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" } && !text.contains("\u{202E}"), "\(text.debugDescription)")
        #expect(text.contains("Eve\u{FFFD}]0;owned\u{FFFD}\u{FFFD}[2J\u{FFFD}nimda\u{FFFD}"), "\(text.debugDescription)")
        let csv = CSV.cell(hostile)
        #expect(!csv.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0 || $0.value == 0x202E }, "\(csv.debugDescription)")
        #expect(CSV.cell("two\nlines") == "\"two\nlines\"", "line breaks stay (quoted)")
        #expect(TerminalSafe.cell("Zoë Łukasiewicz 山田 👩\u{200D}💻") == "Zoë Łukasiewicz 山田 👩\u{200D}💻")
    }
}
