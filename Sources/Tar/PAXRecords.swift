// Source: POSIX.1-2017 pax, "pax Extended Header": records of the form "%d %s=%s\n", where the
// decimal length counts the whole record including itself and the newline.
import ByteIO

/// The parser of PAX extended header data.
enum PAXRecords {
    /// Parses the records of one `x` or `g` header.
    ///
    /// - Parameters:
    ///   - data: The header's data.
    ///   - member: The member the tar stream belongs to, for errors.
    ///   - offset: The header's offset, for errors.
    /// - Returns: The records as key and raw value; a later record for the same key wins.
    /// - Throws: ``TarError/badPAXRecord(member:offset:reason:)``.
    static func parse(_ data: [UInt8], member: String?, offset: Int64) throws -> [String: [UInt8]] {
        var records: [String: [UInt8]] = [:]
        var i = 0
        while i < data.count {
            if data[i] == 0 { break }  // some writers pad with NULs
            var length = 0
            var j = i
            while j < data.count, data[j] >= 0x30, data[j] <= 0x39 {
                length = length * 10 + Int(data[j] - 0x30)
                if length > data.count { break }
                j += 1
            }
            guard j < data.count, data[j] == 0x20, j > i, length > j - i, i + length <= data.count,
                data[i + length - 1] == 0x0a
            else {
                throw TarError.badPAXRecord(member: member, offset: offset, reason: "bad record length at byte \(i) of the header data")
            }
            let record = data[(j + 1)..<(i + length - 1)]
            guard let eq = record.firstIndex(of: UInt8(ascii: "=")), eq > record.startIndex else {
                throw TarError.badPAXRecord(member: member, offset: offset, reason: "record at byte \(i) has no key=value")
            }
            let key = String(decoding: record[record.startIndex..<eq], as: UTF8.self)
            records[key] = Array(record[(eq + 1)...])
            i += length
        }
        return records
    }
}
