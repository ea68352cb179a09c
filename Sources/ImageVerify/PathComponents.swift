/// The components of a path still to resolve, as a stack: the path's own, and those of each
/// symlink target met on the way, pushed in front of the rest. Empty components are skipped.
struct PathComponents {
    /// The byte strings the components are slices of.
    private var sources: [[UInt8]] = []
    /// Pending components, last one first out.
    private var stack: [Component] = []

    /// One component: a range of one of the sources.
    struct Component {
        var source: Int
        var start: Int
        var end: Int
        var isDot: Bool
        var isDotDot: Bool
    }

    init(_ path: [UInt8]) {
        push(path)
    }

    var isEmpty: Bool { stack.isEmpty }

    /// Puts the components of `path` in front of those pending.
    mutating func push(_ path: [UInt8]) {
        let source = sources.count
        sources.append(path)
        var parts: [Component] = []
        var i = 0
        let slash = UInt8(ascii: "/")
        let dot = UInt8(ascii: ".")
        while i < path.count {
            while i < path.count && path[i] == slash { i += 1 }
            if i >= path.count { break }
            var j = i
            while j < path.count && path[j] != slash { j += 1 }
            let length = j - i
            parts.append(
                Component(
                    source: source, start: i, end: j, isDot: length == 1 && path[i] == dot,
                    isDotDot: length == 2 && path[i] == dot && path[i + 1] == dot))
            i = j
        }
        stack.append(contentsOf: parts.reversed())
    }

    /// The next component.
    mutating func next() -> Component? { stack.popLast() }

    /// Calls `body` with the bytes of `component`.
    func withBytes<R>(_ component: Component, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        sources[component.source].withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[component.start..<component.end])) }
    }

    /// The component as a string, for messages.
    func string(_ component: Component) -> String {
        String(decoding: sources[component.source][component.start..<component.end], as: UTF8.self)
    }
}
