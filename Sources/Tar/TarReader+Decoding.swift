// Decoding one header block into a TarEntryView: the ustar fields, with what PAX records and
// GNU long names say taking precedence.
import ByteIO

extension TarReader {
    func decode(
        _ block: UnsafeRawBufferPointer, typeflag: UInt8, sizeField: Int64, pax: [String: [UInt8]],
        longName: [UInt8]?, longLink: [UInt8]?, headerOffset: Int64
    ) throws -> TarEntryView {
        func field(_ name: String, _ range: Range<Int>) throws -> Int64 {
            guard let v = TarHeader.number(block, range) else {
                throw TarError.badHeaderField(member: context, offset: headerOffset, field: name, found: TarHeader.printable(block, range))
            }
            return v
        }
        let hasPAX = !pax.isEmpty
        func paxNumber(_ key: String) throws -> Int64? {
            guard hasPAX, let raw = pax[key] else { return nil }
            let text = String(decoding: raw, as: UTF8.self)
            // mtime-like values may carry a fraction: keep the whole seconds.
            let whole = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? text
            guard let v = Int64(whole.isEmpty ? "0" : whole) else {
                throw TarError.badPAXRecord(member: context, offset: headerOffset, reason: "\(key)=\(text) is not a number")
            }
            return v
        }
        // The name and link target go to the reader's storage: no allocation per entry.
        let name: UnsafeBufferPointer<UInt8>
        if let p = (hasPAX ? pax["GNU.sparse.name"] ?? pax["path"] : nil) ?? longName {
            name = p.withUnsafeBytes { nameStorage.set($0) }
        } else {
            let nameField = UnsafeRawBufferPointer(rebasing: block[TarHeader.Field.name])
            let prefixField = UnsafeRawBufferPointer(rebasing: block[TarHeader.Field.prefix])
            let prefixLength = TarHeader.hasPOSIXMagic(block) ? ByteScan.firstIndex(of: 0, in: prefixField) : 0
            name = nameStorage.set(
                prefix: UnsafeRawBufferPointer(rebasing: prefixField[0..<prefixLength]),
                UnsafeRawBufferPointer(rebasing: nameField[0..<ByteScan.firstIndex(of: 0, in: nameField)]))
        }
        let link: UnsafeBufferPointer<UInt8>
        if let p = (hasPAX ? pax["linkpath"] : nil) ?? longLink {
            link = p.withUnsafeBytes { linkStorage.set($0) }
        } else if typeflag != UInt8(ascii: "1") && typeflag != UInt8(ascii: "2") {
            // Only links have a target (the field is all zeros in any other header).
            link = linkStorage.set(UnsafeRawBufferPointer(start: nil, count: 0))
        } else {
            let field = UnsafeRawBufferPointer(rebasing: block[TarHeader.Field.linkName])
            link = linkStorage.set(UnsafeRawBufferPointer(rebasing: field[0..<ByteScan.firstIndex(of: 0, in: field)]))
        }
        let mode = try field("mode", TarHeader.Field.mode)
        let uid = try paxNumber("uid") ?? field("uid", TarHeader.Field.uid)
        let gid = try paxNumber("gid") ?? field("gid", TarHeader.Field.gid)
        let mtime = try paxNumber("mtime") ?? field("mtime", TarHeader.Field.mtime)
        var dataSize = try paxNumber("size") ?? sizeField
        guard dataSize >= 0 else {
            throw TarError.badHeaderField(member: context, offset: headerOffset, field: "size", found: "\(dataSize)")
        }
        var kind: TarEntry.Kind
        switch typeflag {
        case UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .regular
        case 0: kind = name.last == UInt8(ascii: "/") ? .directory : .regular
        case UInt8(ascii: "1"): kind = .hardlink
        case UInt8(ascii: "2"): kind = .symlink
        case UInt8(ascii: "3"): kind = .characterDevice
        case UInt8(ascii: "4"): kind = .blockDevice
        case UInt8(ascii: "5"), UInt8(ascii: "D"): kind = .directory
        case UInt8(ascii: "6"): kind = .fifo
        case UInt8(ascii: "S"): kind = .sparse
        default: kind = .other(typeflag)
        }
        var size = dataSize
        switch kind {
        case .hardlink, .symlink, .characterDevice, .blockDevice, .fifo:
            dataSize = 0
            size = 0
        case .directory:
            // GNU dump directories carry a listing as data; plain directories carry none.
            if typeflag != UInt8(ascii: "D") { dataSize = 0 }
            size = 0
        case .sparse:
            size = try field("realsize", TarHeader.Field.gnuRealSize)
        default:
            break
        }
        if hasPAX && (pax["GNU.sparse.major"] != nil || pax["GNU.sparse.size"] != nil || pax["GNU.sparse.realsize"] != nil) {
            kind = .sparse
            size = try paxNumber("GNU.sparse.realsize") ?? paxNumber("GNU.sparse.size") ?? size
        }
        let isDevice = kind == .characterDevice || kind == .blockDevice
        return TarEntryView(
            name: name, linkName: link, kind: kind, mode: UInt32(truncatingIfNeeded: mode & 0o7777), uid: uid, gid: gid,
            size: size, dataSize: dataSize, mtime: mtime, hasXattrs: hasPAX && pax.keys.contains { $0.hasPrefix("SCHILY.xattr.") },
            headerOffset: headerOffset,
            deviceMajor: isDevice ? (TarHeader.number(block, TarHeader.Field.devMajor) ?? 0) : 0,
            deviceMinor: isDevice ? (TarHeader.number(block, TarHeader.Field.devMinor) ?? 0) : 0)
    }
}
