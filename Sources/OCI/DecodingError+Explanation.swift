import Foundation

extension DecodingError {
    /// One line on what a JSON document got wrong and where, for messages: "at
    /// .rootfs.diff_ids[2]: expected String, found null", "at .metadataTest: unknown key
    /// 'userNotRot' ...".
    ///
    /// The package's one formatter of decoding errors: the archive reader uses it for manifests
    /// and configs, the CLI for policies.
    /// - Parameter topLevel: What to say where the error is about the document itself (`nil`:
    ///   nothing, the message starts with what is wrong).
    public func explanation(topLevel: String? = "at the top level") -> String {
        func located(_ context: Context, _ text: String) -> String {
            let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            if p.isEmpty { return topLevel.map { "\($0): \(text)" } ?? text }
            return "at \(p): \(text)"
        }
        switch self {
        case .typeMismatch(let type, let c): return located(c, "expected \(type), \(c.debugDescription.lowercased())")
        case .valueNotFound(let type, let c): return located(c, "expected \(type), found null")
        case .keyNotFound(let key, let c): return located(c, "missing key '\(key.stringValue)'")
        case .dataCorrupted(let c):
            let under = (c.underlyingError as NSError?).map { " (\($0.localizedDescription))" } ?? ""
            return located(c, "\(c.debugDescription)\(under)")
        @unknown default: return "\(self)"
        }
    }
}
