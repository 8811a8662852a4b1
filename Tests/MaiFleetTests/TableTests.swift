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
}
