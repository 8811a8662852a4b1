/// The version every mAI program reports (`mai-agent version`, `maictl --version`, `/api/version`).
public enum MaiVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}
