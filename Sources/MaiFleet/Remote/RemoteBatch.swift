import Foundation

/// Several commands sent in one SSH `exec`, each with its own exit status and output.
///
/// Every exec costs the host a session, a login shell and a fork; on a busy host that is a few
/// hundred milliseconds each, so `maictl health` sends its read-only probes as one batch. Each
/// step stays an argv value quoted at the boundary; only the glue around them is fixed text.
public struct RemoteBatch: Sendable, Hashable {
    public let steps: [RemoteCommand]
    /// Separates the steps' outputs; random per batch, so no output can forge a boundary.
    public let marker: String

    public init(_ steps: [RemoteCommand], marker: String = "@@mai-\(UUID().uuidString.lowercased())") {
        precondition(!steps.isEmpty, "a batch needs at least one step")
        precondition(marker.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "@" }, "marker must be one plain word")
        self.steps = steps
        self.marker = marker
    }

    /// `sh -c '<step 1> 2>&1; printf "\n<marker> 0 %d\n" $?; …' sh` — stderr joins stdout per step,
    /// so a failing step's message stays with it.
    public var command: RemoteCommand {
        let script = steps.enumerated().map { index, step in
            "\(step.commandLine) </dev/null 2>&1; printf '\\n\(marker) \(index) %d\\n' $?"
        }.joined(separator: "; ")
        return RemoteCommand(["sh", "-c", script, "sh"])
    }

    /// One step's result.
    public struct Output: Sendable, Hashable {
        public var exitStatus: Int32
        public var text: String
        public var succeeded: Bool { exitStatus == 0 }
    }

    /// Splits the batch's stdout into one output per step; nil for a step that did not report
    /// (the batch was cut short).
    public func parse(_ stdout: String) -> [Output?] {
        var outputs = [Output?](repeating: nil, count: steps.count)
        var current = ""
        for line in stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            let fields = line.split(separator: " ")
            if fields.count == 3, fields[0] == marker, let index = Int(fields[1]), let status = Int32(fields[2]),
               outputs.indices.contains(index) {
                // The printf starts with a newline of its own: drop it again.
                if current.hasSuffix("\n") { current.removeLast() }
                outputs[index] = Output(exitStatus: status, text: current)
                current = ""
            } else {
                current += line + "\n"
            }
        }
        return outputs
    }
}
