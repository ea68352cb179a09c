import Testing

// @testable: the `[UInt8]` form of `PathCleaner.alreadyCleanLength`, which the tests call, is internal
// (the `package` one takes a buffer).
@testable import Tar

/// Entry names that are already clean are used as they are (the word-at-a-time check); the
/// others are cleaned the slow way.
@Suite struct PathCleanerTests {
    @Test(arguments: [("a/b/c", 5), ("a/b/", 3), ("a", 1), ("", 0), (".hidden/x", 9), ("..a/b", 5)] as [(String, Int)])
    func cleanNamesAreUsedAsTheyAre(_ c: (String, Int)) {
        #expect(PathCleaner.alreadyCleanLength(Array(c.0.utf8)) == c.1)
    }

    /// The word-at-a-time check agrees with the rule, component by component, on every name of up
    /// to 8 bytes over `a`, `.`, `/`, and on longer ones across word boundaries.
    @Test func cleanCheckAgreesWithTheRule() {
        func reference(_ name: [UInt8]) -> Int? {
            if name.isEmpty { return 0 }
            var parts = name.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map(Array.init)
            if name.last == UInt8(ascii: "/") { parts.removeLast() }
            for part in parts where part.isEmpty || part == [0x2E] || part == [0x2E, 0x2E] { return nil }
            return name.last == UInt8(ascii: "/") ? name.count - 1 : name.count
        }
        let alphabet: [UInt8] = [0x61, 0x2E, 0x2F]
        var names: [[UInt8]] = [[]]
        var frontier: [[UInt8]] = [[]]
        for _ in 1...8 {
            frontier = frontier.flatMap { n in alphabet.map { n + [$0] } }
            names += frontier
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let length = Int.random(in: 9...40, using: &rng)
            // Mostly clean names with the odd bad spot, which then lands at every offset.
            var n = (0..<length).map { _ in Int.random(in: 0..<8, using: &rng) == 0 ? UInt8(ascii: "/") : UInt8(ascii: "x") }
            if Bool.random(using: &rng) { n[Int.random(in: 0..<length, using: &rng)] = UInt8(ascii: ".") }
            names.append(n)
        }
        var disagreements = 0
        for name in names where PathCleaner.alreadyCleanLength(name) != reference(name) { disagreements += 1 }
        #expect(disagreements == 0)
        #expect(names.count > 9000)
    }

    @Test(arguments: ["/a", "./a", "a/./b", "a//b", "a/..", "a/../b", ".", "..", "a/b//"])
    func otherNamesAreCleanedTheSlowWay(_ name: String) {
        #expect(PathCleaner.alreadyCleanLength(Array(name.utf8)) == nil)
    }
}
