import Foundation
import TestSupport
import Testing

extension VerifyCLITests {
    /// The text report's layout.
    @Suite struct TextLayout {
        /// Every line of the text report is a title, a `  STATUS  id` row, a continuation aligned with
        /// the row's value column (25), the `  ELF files` row, or the summary; none is blank.
        static let layoutCases: [[String]] =
            Facts.singlePlatformVerify.map { ["--arch", "amd64", "--require", "node_modules/.prisma", $0] }
            + [["--platform", "linux/arm64", "prisma-multiarch.tar"], ["prisma-multiarch.tar"]]

        @Test(arguments: layoutCases)
        func textRowsStayInTheirColumns(_ args: [String]) throws {
            let file = args.last!
            let r = try TS.imgtool(["verify"] + args.dropLast() + [TS.fixture(file)])
            var bad: [String] = []
            for line in lines(r.stdout) {
                let isTitle = line.hasPrefix(TS.fixture(file) + ": ")
                let isRow =
                    line.count > 8 && VerifyCLITests.statusWords.contains(String(line.dropFirst(2).prefix(4))) && line.hasPrefix("  ")
                let isContinuation = line.hasPrefix(String(repeating: " ", count: 25)) && line.count > 25 && line.dropFirst(25).first != " "
                let isCensus = line.hasPrefix("  ELF files  ")
                let isSummary = line.hasPrefix("verify: ")
                if !(isTitle || isRow || isContinuation || isCensus || isSummary) || line.hasSuffix(" ") { bad.append(line) }
            }
            #expect(bad.isEmpty, "\(args): misplaced lines \(bad.map { "'\($0)'" })")
        }
    }
}
