import Foundation

extension TS {
    /// A fresh directory, unique to the caller; removed by `cleanup()`.
    package struct TempDir {
        package let url: URL
        package init() throws {
            url = FileManager.default.temporaryDirectory
                .appendingPathComponent("imgtool-tests-\(UUID().uuidString)", isDirectory: true)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        package func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        package func cleanup() { try? FileManager.default.removeItem(at: url) }
    }

    /// A fresh directory under the system temp dir, removed when `body` returns.
    package static func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("GzipTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        return try body(dir)
    }
}
