import Hummingbird
import MaiCore

/// CSV exports (RFC 4180): quoted where needed, formula-looking cells defused for spreadsheets.
enum CSVTable {
    static func lineHeader(_ grouping: String) -> [String] {
        [grouping, "label", "requests", "prompt_tokens", "completion_tokens", "raw_cost_usd", "price_usd", "provisional", "confirmed", "unverified", "estimated"]
    }

    static func line(_ line: UsageController.LineResponse) -> [String] {
        [line.key, line.label, String(line.requests), String(line.prompt_tokens), String(line.completion_tokens), line.raw_cost, line.price,
         String(line.provisional), String(line.confirmed), String(line.unverified), String(line.estimated)]
    }

    static func response(filename: String, header: [String], rows: [[String]]) -> Response {
        var text = CSV.line(header) + "\r\n"
        for row in rows { text += CSV.line(row) + "\r\n" }
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(filename)\""],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}
