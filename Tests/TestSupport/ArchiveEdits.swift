import Foundation

/// Damaged copies of a fixture archive, made by python's `tarfile` (an independent writer): one
/// member's data changed as a copy cut short or a hand edit would change it, everything else as
/// it was.
extension TS {
    /// What to do to one member's data.
    package enum MemberEdit: Sendable {
        /// Cut a complete layer tar `bytes` bytes after its last entry's data, inside that data's
        /// padding (python's `tarfile` finds where the data ends).
        case cutInsidePadding(bytes: Int)
        /// Drop the last `bytes` bytes.
        case dropLast(bytes: Int)
        /// Delete a top-level key of a JSON document (a config's `rootfs`). `renamed`: the member
        /// is named by its digest (a docker-archive's `<hex>.json` config): renamed by its new one,
        /// and `manifest.json` changed to match, so that the copy has no digest mismatch.
        case deleteJSONKey(String, renamed: Bool = false)

        var json: [String: Any] {
            switch self {
            case .cutInsidePadding(let n): ["cutInsidePadding": n]
            case .dropLast(let n): ["dropLast": n]
            case .deleteJSONKey(let key, let renamed): ["deleteJSONKey": key, "renamed": renamed]
            }
        }
    }

    /// Writes `destination`: the tar archive `source` with `edit` applied to the data of `member`
    /// (inflated first and deflated again when it is gzip), in the order and with the names,
    /// modes and link targets it had.
    package static func editArchive(_ source: String, to destination: String, member: String, _ edit: MemberEdit) throws {
        let spec = String(decoding: try JSONSerialization.data(withJSONObject: edit.json), as: UTF8.self)
        _ = try python(editScript, [source, destination, member, spec])
    }

    private static let editScript = #"""
        import sys, io, json, gzip, tarfile, hashlib
        src, dst, name, spec = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
        renames = {}
        def edit(data):
            zipped = data[:2] == b'\x1f\x8b'
            if zipped: data = gzip.decompress(data)
            if 'cutInsidePadding' in spec:
                last = list(tarfile.open(fileobj=io.BytesIO(data)))[-1]
                end = last.offset_data + last.size
                assert end % 512 != 0 and end % 512 + spec['cutInsidePadding'] < 512, (end, spec)
                data = data[:end + spec['cutInsidePadding']]
            elif 'dropLast' in spec:
                data = data[:-spec['dropLast']]
            elif 'deleteJSONKey' in spec:
                doc = json.loads(data); del doc[spec['deleteJSONKey']]
                data = json.dumps(doc, separators=(',', ':')).encode()
            return gzip.compress(data, mtime=0) if zipped else data
        found = False
        with tarfile.open(src) as t, tarfile.open(dst, 'w', format=tarfile.PAX_FORMAT) as out:
            members = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t]
            for m, data in members:
                if m.name == name:
                    old = hashlib.sha256(data).hexdigest()
                    new = edit(data)
                    if spec.get('renamed'):
                        assert old in m.name, m.name
                        renames[m.name] = m.name.replace(old, hashlib.sha256(new).hexdigest())
            for m, data in members:
                if m.isfile():
                    if m.name == name:
                        data = edit(data); found = True
                        m.name = renames.get(m.name, m.name)
                    elif m.name == 'manifest.json' and renames:
                        doc = json.loads(data)
                        for item in doc: item['Config'] = renames.get(item['Config'], item['Config'])
                        data = json.dumps(doc, separators=(',', ':')).encode()
                    m.size = len(data)
                    out.addfile(m, io.BytesIO(data))
                else:
                    out.addfile(m)
        assert found, name
        """#
}
