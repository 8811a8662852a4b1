/// POSIX `sh` quoting for the one place a command becomes a string: the SSH `exec` request.
///
/// The SSH protocol carries a command line, not an argv, and the remote login shell splits it. Each
/// argument is therefore quoted so that the remote shell sees exactly the original bytes.
public enum ShellQuoting {
    /// Characters that never need quoting in any POSIX shell word.
    private static let safe: Set<UInt8> = Set(
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-".utf8))

    /// `word` as one shell word: bare when every byte is safe, otherwise single-quoted with each
    /// `'` written as `'\''` (inside single quotes nothing — `$`, `` ` ``, `\`, newlines — is special).
    public static func quote(_ word: String) -> String {
        if word.isEmpty { return "''" }
        if word.utf8.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The argv as one command line for `sh -c`.
    public static func join(_ argv: [String]) -> String {
        argv.map(quote).joined(separator: " ")
    }
}
