/// An engine's version, compared by its first two numbers (`20.10.24+dfsg1` is 20.10).
public struct EngineVersion: Sendable, Equatable, Comparable, CustomStringConvertible {
    /// The first number.
    public var major: Int
    /// The second number.
    public var minor: Int
    /// The version as the engine printed it, when it came from one.
    public var text: String?

    /// Creates a version.
    public init(major: Int, minor: Int, text: String? = nil) {
        self.major = major
        self.minor = minor
        self.text = text
    }

    /// Parses `20.10.24+dfsg1`, `v25.0.3`, `4.3.1`; `nil` when it does not start with a number.
    public init?(parsing text: String) {
        let t = text.hasPrefix("v") ? text.dropFirst() : Substring(text)
        let numbers = t.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard let major = numbers.first, t.first?.isNumber == true else { return nil }
        self.init(major: major, minor: numbers.count > 1 ? numbers[1] : 0, text: text)
    }

    /// Whether `a` comes before `b`, by their first two numbers.
    public static func < (a: EngineVersion, b: EngineVersion) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
    /// Whether the first two numbers are equal (the text is not compared).
    public static func == (a: EngineVersion, b: EngineVersion) -> Bool { (a.major, a.minor) == (b.major, b.minor) }

    /// The version as printed, else `major.minor`.
    public var description: String { text ?? "\(major).\(minor)" }
}
