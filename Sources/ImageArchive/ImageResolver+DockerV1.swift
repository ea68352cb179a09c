// Resolving an archive from before Docker 1.10: `repositories` names the top layers, and each
// layer's `json` names its parent.
import OCI

extension ImageResolver {
    mutating func resolveV1() throws -> [ArchiveImage] {
        var tips: [(id: String, tags: [String])] = []
        if let member = scan.members["repositories"] {
            let repos = try decode(
                [String: [String: String]].self, member, role: "a repositories map", limit: ReadOptions.maximumManifestSize)
            for repo in repos.keys.sorted() {
                for tag in (repos[repo] ?? [:]).keys.sorted() {
                    guard let id = repos[repo]?[tag] else { continue }
                    let name = Self.familiar("\(repo):\(tag)")
                    if let k = tips.firstIndex(where: { $0.id == id }) { tips[k].tags.append(name) } else { tips.append((id, [name])) }
                }
            }
        }
        if tips.isEmpty {
            // No repositories: every layer that is no other layer's parent is an image.
            var parents = Set<String>()
            var ids: [String] = []
            for name in scan.order where name.hasSuffix("/json") && name.split(separator: "/").count == 2 {
                let id = String(name.dropLast(5))
                ids.append(id)
                if let m = find(name), let json = try? decodeConfig(m, role: "a layer json"), let p = json.parent {
                    parents.insert(p)
                }
            }
            tips = ids.filter { !parents.contains($0) }.map { ($0, []) }
        }
        var images: [ArchiveImage] = []
        for tip in tips {
            var chain: [(ArchiveMember, ImageConfig)] = []
            var id: String? = tip.id
            var seen = Set<String>()
            while let current = id {
                guard seen.insert(current).inserted else {
                    throw ArchiveError.badMemberLink(member: "\(current)/json", target: "its parent chain loops")
                }
                guard seen.count <= ReadOptions.maximumLayersPerImage else {
                    throw ArchiveError.malformedJSON(
                        member: "\(tip.id)/json",
                        reason:
                            "too many layers for one image in its parent chain: expected at most \(ReadOptions.maximumLayersPerImage), found a longer chain"
                    )
                }
                let jsonMember = try regular("\(current)/json", referencedBy: chain.isEmpty ? "repositories" : "\(chain.last!.0.name)")
                let json = try decodeConfig(jsonMember, role: "a layer json")
                chain.append((jsonMember, json))
                id = json.parent
            }
            chain.reverse()
            guard let top = chain.last else { continue }
            try countLayers(chain.count, member: "\(tip.id)/json")
            let layers = try chain.map { (m, _) -> (ArchiveMember, Descriptor?) in
                let dir = String(m.name.dropLast(5))
                return (try regular(dir + "/layer.tar", referencedBy: m.name), nil)
            }
            images.append(try makeImage(config: top.0, layers: layers, manifestDigest: nil, tags: tip.tags, referencedBy: "\(tip.id)/json"))
        }
        return images
    }
}
