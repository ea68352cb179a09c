#!/usr/bin/env bash
# make-fixtures.sh — regenerate every imgtool test fixture in Tests/Fixtures/ from scratch.
#
# Fixtures are written by real tools (umoci, skopeo, podman, GNU tar, gzip, pigz, zstd, xz,
# bzip2, python3 tarfile; Docker 20.10's own `docker save` for docker/, section 30). Where no tool writes a layout (OCI index with attestation, containerd
# export with absent blobs, Docker >= 25 classic export, legacy docker save around hand-chosen
# tar corners) the small JSON documents are written by the python helper embedded below, around
# layer blobs made by umoci or GNU tar. README.md says which tool made what.
#
# Facts for the tests (digests, diffIDs, entry counts, sizes, merged trees) are computed at the
# end into fixtures.json by independent tools: hashlib/sha256sum, `tar -tf | wc -l`,
# `umoci unpack` (for the merged trees), never by hand.
#
# Requirements: Debian 12, root, and
#   apt-get install -y umoci skopeo podman pigz zstd xz-utils bzip2 jq attr python3 binutils file \
#     docker.io containerd      (section 30: a dockerd of its own, started and stopped by the script)
# plus apt access for `apt-get download` of two tiny packages for amd64 and arm64 (real ELF files):
#   libattr1 (libattr.so.1: a 26 KB / 67 KB ELF shared object) and hostname (/bin/hostname: a
#   22 KB / 67 KB ELF executable). The script adds the arm64 dpkg architecture if needed.
#   The .debs are cached in ${XDG_CACHE_HOME:-~/.cache}/imgtool-fixtures/debs, never in the repo.
#
# Usage: Tests/Fixtures/make-fixtures.sh      (no arguments; idempotent, rewrites all outputs)
#        Tests/Fixtures/make-fixtures.sh --only issue18
#            makes only the fixtures of section 29 (umoci insert layers, pnpm without .prisma),
#            moves just those into Tests/Fixtures and merges their facts into fixtures.json,
#            leaving every other fixture file (and every other fixtures.json entry) as it is.
#            Section 29 also needs Go (golang-go) for its archive/tar check.
#        Tests/Fixtures/make-fixtures.sh --only docker
#            makes only the fixtures of section 30 (Tests/Fixtures/docker/: `docker save` of
#            Docker 20.10 itself, from a dockerd the script starts on its own socket and stops),
#            replaces Tests/Fixtures/docker/ and merges their facts into fixtures.json, leaving
#            every other fixture file (and every other fixtures.json entry) as it is.
#            Section 30 needs Debian's docker.io (20.10) and containerd: /usr/bin/docker and
#            /usr/sbin/dockerd, named by path (a different docker client may come first on PATH).
set -euo pipefail
ONLY=
usage() { echo "usage: $0 [--only issue18|docker]" >&2; exit 64; }
case "${1:-}" in
  "") ;;
  --only) case "${2:-}" in issue18 | docker) ONLY=$2 ;; *) usage ;; esac ;;
  *) usage ;;
esac
umask 022
export LC_ALL=C TZ=UTC

FIX=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E=1704067200                       # 2024-01-01T00:00:00Z, every mtime / created stamp
ISO=2024-01-01T00:00:00Z
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/imgtool-fixtures/debs

# ------------------------------------------------------------------ tool check
[ "$(id -u)" = 0 ] || { echo "make-fixtures.sh must run as root (umoci unpack, mknod, chown)" >&2; exit 1; }
missing=()
TOOLS="umoci skopeo podman tar gzip pigz zstd xz bzip2 jq python3 setfattr getfattr sha256sum stat
       apt-get dpkg dpkg-deb mknod mkfifo truncate split file containerd"
# --only issue18: umoci, skopeo, GNU tar, python, jq, file, dpkg-deb (amd64 ELF files only), go
[ "$ONLY" = issue18 ] && TOOLS="umoci skopeo tar gzip jq python3 sha256sum stat apt-get dpkg dpkg-deb file go"
# --only docker: Debian's docker.io 20.10 (checked below by path) and containerd, skopeo for the self-check
[ "$ONLY" = docker ] && TOOLS="skopeo tar gzip jq python3 sha256sum stat containerd"
for t in $TOOLS; do
  command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
# section 30 (not --only issue18): Debian's docker.io, by path
DOCKER=/usr/bin/docker DOCKERD=/usr/sbin/dockerd
if [ "$ONLY" != issue18 ]; then
  for t in "$DOCKER" "$DOCKERD"; do [ -x "$t" ] || missing+=("$t (apt-get install -y docker.io containerd)"); done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing tools: ${missing[*]}" >&2
  echo "install: apt-get update && apt-get install -y umoci skopeo podman pigz zstd xz-utils bzip2 jq attr python3 file" >&2
  exit 1
fi
tar --version | head -1 | grep -q 'GNU tar' || { echo "GNU tar required" >&2; exit 1; }

# lowercase work dir: podman derives an image name from the oci: path and rejects upper case
WORK=/tmp/imgtool-fixtures.$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
mkdir -m 0700 "$WORK"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
META=$WORK/meta.jsonl; : > "$META"
PY=$WORK/fx.py
OUT=$WORK/out; mkdir -p "$OUT"     # built here, moved into $FIX at the end

log() { printf '== %s\n' "$*" >&2; }

# ------------------------------------------------------------------ python helper
cat > "$PY" <<'PYEOF'
import sys, os, json, hashlib, gzip, lzma, bz2, io, tarfile, subprocess, struct, shutil

def sha(b): return hashlib.sha256(b).hexdigest()
def dumps(o): return json.dumps(o, separators=(',', ':')).encode()
def rd(p):
    with open(p, 'rb') as f: return f.read()
def wr(p, b):
    os.makedirs(os.path.dirname(p) or '.', exist_ok=True)
    with open(p, 'wb') as f: f.write(b)

# ---------------------------------------------------------------- OCI layout (umoci) access
def layout_manifest(layout, tag='img'):
    idx = json.loads(rd(f'{layout}/index.json'))
    for d in idx['manifests']:
        if d.get('annotations', {}).get('org.opencontainers.image.ref.name') == tag:
            return d, json.loads(rd(blob(layout, d['digest'])))
    raise SystemExit(f'tag {tag} not in {layout}')
def blob(layout, digest): return f'{layout}/blobs/sha256/{digest.split(":")[1]}'

def cmd_set_variant(layout, variant, tag='img'):
    """umoci 0.4.7 has no --variant: add "variant" to the config, rewrite manifest + index.json."""
    desc, man = layout_manifest(layout, tag)
    cfg = json.loads(rd(blob(layout, man['config']['digest'])))
    new = {}
    for k, v in cfg.items():
        new[k] = v
        if k == 'architecture': new['variant'] = variant
    cb = dumps(new); cd = 'sha256:' + sha(cb); wr(blob(layout, cd), cb)
    man['config']['digest'] = cd; man['config']['size'] = len(cb)
    mb = dumps(man); md = 'sha256:' + sha(mb); wr(blob(layout, md), mb)
    idx = json.loads(rd(f'{layout}/index.json'))
    for d in idx['manifests']:
        if d.get('annotations', {}).get('org.opencontainers.image.ref.name') == tag:
            d['digest'] = md; d['size'] = len(mb)
    wr(f'{layout}/index.json', dumps(idx))

def platform_of(cfg):
    p = {'architecture': cfg['architecture'], 'os': cfg['os']}
    if cfg.get('variant'): p['variant'] = cfg['variant']
    return p

# ---------------------------------------------------------------- composers
def cmd_compose(mode, outdir, ref, *layouts):
    """mode: oci | oci-attest | containerd | docker-oci.  layouts: umoci layouts with tag img."""
    blobs = f'{outdir}/blobs/sha256'; os.makedirs(blobs, exist_ok=True)
    def put(b): d = 'sha256:' + sha(b); wr(f'{blobs}/{d[7:]}', b); return d
    name = ref if '/' in ref.split(':')[0] else 'docker.io/library/' + ref
    tag = ref.rsplit(':', 1)[1]
    ann = {'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag}
    imgs = []
    for L in layouts:
        desc, man = layout_manifest(L)
        cfgb = rd(blob(L, man['config']['digest']))
        imgs.append((L, desc, man, cfgb, json.loads(cfgb)))
    if mode == 'docker-oci':
        L, desc, man, cfgb, cfg = imgs[0]
        cd = put(cfgb)
        layers, srcs, paths = [], {}, []
        for ld in man['layers']:
            raw = gzip.decompress(rd(blob(L, ld['digest'])))
            d = put(raw)
            dsc = {'mediaType': 'application/vnd.oci.image.layer.v1.tar', 'digest': d, 'size': len(raw)}
            layers.append(dsc); srcs[d] = dsc; paths.append('blobs/sha256/' + d[7:])
        assert [l['digest'] for l in layers] == cfg['rootfs']['diff_ids']
        m = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
             'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': cd, 'size': len(cfgb)},
             'layers': layers}
        mb = json.dumps(m).encode(); md = put(mb)
        # legacy v1 JSON blob, written by docker >= 25 for each layer, referenced by nothing
        v1 = {'id': sha((cfg['rootfs']['diff_ids'][-1]).encode()), 'created': '2024-01-01T00:00:00Z',
              'container_config': {'Cmd': None}, 'os': 'linux', 'architecture': cfg['architecture']}
        put(json.dumps(v1).encode())
        idx = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json',
               'manifests': [{'mediaType': m['mediaType'], 'digest': md, 'size': len(mb), 'annotations': ann}]}
        wr(f'{outdir}/index.json', json.dumps(idx).encode() + b'\n')
        mj = [{'Config': 'blobs/sha256/' + cd[7:], 'RepoTags': [ref], 'Layers': paths, 'LayerSources': srcs}]
        wr(f'{outdir}/manifest.json', json.dumps(mj).encode() + b'\n')
        wr(f'{outdir}/oci-layout', b'{"imageLayoutVersion":"1.0.0"}')
        repo, t = ref.rsplit(':', 1)
        wr(f'{outdir}/repositories', json.dumps({repo: {t: cfg['rootfs']['diff_ids'][-1][7:]}}).encode() + b'\n')
        return
    # image index over all given images
    descs = []
    for i, (L, desc, man, cfgb, cfg) in enumerate(imgs):
        mb = rd(blob(L, desc['digest']))
        present = not (mode == 'containerd' and i > 0)
        if present:
            put(cfgb)
            for ld in man['layers']: put(rd(blob(L, ld['digest'])))
            put(mb)
        descs.append({'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'digest': desc['digest'],
                      'size': len(mb), 'platform': platform_of(cfg)})
    if mode == 'oci-attest':
        target = descs[0]['digest']
        stmt = {'_type': 'https://in-toto.io/Statement/v0.1', 'predicateType': 'https://slsa.dev/provenance/v0.2',
                'subject': [{'name': 'pkg:docker/' + name + '?platform=linux%2Famd64', 'digest': {'sha256': target[7:]}}],
                'predicate': {'builder': {'id': ''}, 'buildType': 'https://mobyproject.org/buildkit@v1',
                              'metadata': {'buildInvocationID': 'imgtool-fixture', 'completeness': {}, 'reproducible': False}}}
        sb = json.dumps(stmt, indent=2).encode(); sd = put(sb)
        acfg = {'architecture': 'unknown', 'os': 'unknown', 'config': {}, 'rootfs': {'type': 'layers', 'diff_ids': [sd]}}
        acb = dumps(acfg); acd = put(acb)
        am = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
              'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': acd, 'size': len(acb)},
              'layers': [{'mediaType': 'application/vnd.in-toto+json', 'digest': sd, 'size': len(sb),
                          'annotations': {'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2'}}]}
        amb = dumps(am); amd = put(amb)
        descs.append({'mediaType': am['mediaType'], 'digest': amd, 'size': len(amb),
                      'annotations': {'vnd.docker.reference.digest': target,
                                      'vnd.docker.reference.type': 'attestation-manifest'},
                      'platform': {'architecture': 'unknown', 'os': 'unknown'}})
    ib = dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json', 'manifests': descs})
    idd = put(ib)
    root = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json',
            'manifests': [{'mediaType': 'application/vnd.oci.image.index.v1+json', 'digest': idd, 'size': len(ib),
                           'annotations': ann}]}
    wr(f'{outdir}/index.json', dumps(root))
    wr(f'{outdir}/oci-layout', b'{"imageLayoutVersion":"1.0.0"}')
    if mode == 'containerd':
        L, desc, man, cfgb, cfg = imgs[0]
        mj = [{'Config': 'blobs/sha256/' + man['config']['digest'][7:], 'RepoTags': [ref],
               'Layers': ['blobs/sha256/' + l['digest'][7:] for l in man['layers']]}]
        wr(f'{outdir}/manifest.json', dumps(mj))

def cmd_legacy(outdir, ref, arch, *args):
    """docker save (< 25) layout around given layer tars.
    args: layer specs PACKED[=DECLARED] (config diff_id from DECLARED), and options
    --manifest-layers=N (list only the first N layers in manifest.json)."""
    nman = None; specs = []
    for a in args:
        if a.startswith('--manifest-layers='): nman = int(a.split('=')[1])
        else: specs.append(a)
    packed = [s.split('=')[0] for s in specs]
    declared = [(s.split('=') + [s])[1] for s in specs]
    diff_ids = ['sha256:' + sha(rd(p)) for p in declared]
    hist = [{'created': '2024-01-01T00:00:00Z', 'created_by': f'/bin/sh -c #(nop) ADD file:layer{i+1} in / '}
            for i in range(len(specs))]
    cfg = {'architecture': arch, 'config': {'Env': ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
           'Cmd': ['/bin/sh'], 'WorkingDir': '/'}, 'created': '2024-01-01T00:00:00Z', 'history': hist,
           'os': 'linux', 'rootfs': {'type': 'layers', 'diff_ids': diff_ids}}
    cb = json.dumps(cfg).encode(); ch = sha(cb)
    wr(f'{outdir}/{ch}.json', cb)
    chain = None; parent = None; paths = []
    for i, p in enumerate(packed):
        chain = diff_ids[i] if chain is None else 'sha256:' + sha(f'{chain} {diff_ids[i]}'.encode())
        v1 = sha(('v1:' + chain).encode())
        j = {'id': v1, 'created': '2024-01-01T00:00:00Z', 'container_config': {'Cmd': None}, 'os': 'linux'}
        if parent: j['parent'] = parent
        if i == len(packed) - 1: j.update({'architecture': arch, 'config': cfg['config']})
        wr(f'{outdir}/{v1}/VERSION', b'1.0')
        wr(f'{outdir}/{v1}/json', json.dumps(j).encode())
        shutil.copyfile(p, f'{outdir}/{v1}/layer.tar')
        paths.append(f'{v1}/layer.tar'); parent = v1
    if nman is not None: paths = paths[:nman]
    wr(f'{outdir}/manifest.json', json.dumps([{'Config': f'{ch}.json', 'RepoTags': [ref], 'Layers': paths}]).encode())
    repo, t = ref.rsplit(':', 1)
    wr(f'{outdir}/repositories', json.dumps({repo: {t: parent}}).encode() + b'\n')

def cmd_areg_layer(out):
    """a ustar layer written by python tarfile with one old-style '\\0' (AREGTYPE) regular file."""
    with tarfile.open(out, 'w', format=tarfile.USTAR_FORMAT) as t:
        for name, typ, data in [('old/', tarfile.DIRTYPE, None), ('old/areg.txt', tarfile.AREGTYPE, b'old-style regular file\n'),
                                ('old/reg.txt', tarfile.REGTYPE, b'modern regular file\n')]:
            ti = tarfile.TarInfo(name); ti.type = typ; ti.mtime = 1704067200; ti.uid = ti.gid = 0
            ti.uname = ti.gname = 'root'; ti.mode = 0o755 if typ == tarfile.DIRTYPE else 0o644
            if data is not None: ti.size = len(data)
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    # python writes AREGTYPE as '0' unless forced: patch the typeflag byte and the checksum
    b = bytearray(rd(out))
    for off in range(0, len(b), 512):
        h = b[off:off + 512]
        if h[257:262] == b'ustar' and h[:12] == b'old/areg.txt':
            b[off + 156] = 0
            b[off + 148:off + 156] = b' ' * 8
            s = sum(b[off:off + 512])
            b[off + 148:off + 156] = b'%06o\0 ' % s
    wr(out, bytes(b))

def cmd_fix_mtimes(path, mtime='1704067200'):
    """set the mtime field of every ustar header to a fixed value and recompute its checksum
    (nothing else changes; refuses archives with PAX/GNU extension headers)."""
    b = bytearray(rd(path))
    with tarfile.open(path) as t:
        offs = [m.offset for m in t]
        assert all(not m.pax_headers for m in t.getmembers())
    for off in offs:
        assert b[off + 257:off + 262] == b'ustar' and b[off + 156] not in b'xgLK'
        b[off + 136:off + 148] = b'%011o\0' % int(mtime)
        b[off + 148:off + 156] = b' ' * 8
        b[off + 148:off + 156] = b'%06o\0 ' % sum(b[off:off + 512])
    wr(path, bytes(b))

def tar_offsets(path):
    """(offset_of_header, name) for every member, plus the offset of the end-of-archive."""
    res = []
    with tarfile.open(path) as t:
        for m in t: res.append((m.offset, m.name, m.offset_data, m.size))
        end = t.offset
    return res, end

def cmd_cut_boundary(src, dst, before_member):
    mem, _ = tar_offsets(src)
    off = [o for o, n, _, _ in mem if n == before_member][0]
    wr(dst, rd(src)[:off]); print(off)

def cmd_cut_mid(src, dst, member_suffix):
    mem, _ = tar_offsets(src)
    o, n, od, sz = [m for m in mem if m[1].endswith(member_suffix) and m[3] > 2048][0]
    cut = od + sz // 2 // 512 * 512 + 100
    wr(dst, rd(src)[:cut]); print(cut)

def cmd_random(out, n):
    import random
    r = random.Random(20240101); b = bytearray(r.getrandbits(8) for _ in range(int(n)))
    b[0] = 0x42 ^ 0xff  # never a compression magic
    wr(out, bytes(b))

def elf_machine(path):
    try:
        with open(path, 'rb') as f: h = f.read(20)
    except OSError: return None
    if h[:4] != b'\x7fELF': return None
    m = struct.unpack('<H', h[18:20])[0]
    return {62: 'x86-64', 183: 'aarch64', 3: 'i386', 40: 'arm'}.get(m, str(m))

def cmd_rootfs_info(root):
    """merged tree facts from an `umoci unpack`ed rootfs."""
    paths = []
    for dp, dns, fns in os.walk(root):
        for n in dns + fns:
            paths.append('/' + os.path.relpath(os.path.join(dp, n), root))
    paths.sort()
    info = {'mergedPathsAll': paths, 'mergedPaths': [p for p in paths if p == '/app' or p.startswith('/app/')]}
    eng = [p for p in paths if os.path.basename(p).startswith(('libquery_engine-', 'query-engine-', 'query_engine-'))]
    if eng or os.path.exists(f'{root}/app/node_modules'):
        info.pop('mergedPathsAll')
        info['engineFiles'] = [{'path': p, 'elf': elf_machine(root + p)} for p in eng]
        node = root + '/usr/local/bin/node'
        info['nodeElf'] = elf_machine(node)
        pj = None
        for cand in [f'{root}/app/node_modules/@prisma/client/package.json']:
            if os.path.exists(cand): pj = json.loads(rd(cand)).get('version')
        info['prismaClientVersion'] = pj
    print(json.dumps(info))

# ---------------------------------------------------------------- facts
def decompress_outer(data):
    if data[:3] == b'\x1f\x8b\x08': return gzip.decompress(data), 'gzip'
    if data[:4] == b'\x28\xb5\x2f\xfd':
        return subprocess.run(['zstd', '-dc'], input=data, capture_output=True, check=True).stdout, 'zstd'
    if data[:6] == b'\xfd7zXZ\x00': return lzma.decompress(data), 'xz'
    if data[:3] == b'BZh': return bz2.decompress(data), 'bzip2'
    return data, 'none'

def sniff(b):
    for mg, n in ((b'\x1f\x8b\x08', 'gzip'), (b'\x28\xb5\x2f\xfd', 'zstd'), (b'\xfd7zXZ\x00', 'xz'), (b'BZh', 'bzip2')):
        if b.startswith(mg): return n
    return 'none'

def gnu_tar_count(data):
    r = subprocess.run(['tar', '-tf', '-'], input=data, capture_output=True)
    if r.returncode != 0: return None
    return len(r.stdout.splitlines())

def layer_facts(data, declared=None, digest=None, mt=None):
    raw = data
    if data[:3] == b'\x1f\x8b\x08': raw = gzip.decompress(data)
    elif data[:4] == b'\x28\xb5\x2f\xfd': raw = decompress_outer(data)[0]
    d = 'sha256:' + sha(raw)
    f = {'diffID': declared or d, 'entries': gnu_tar_count(raw), 'size': len(raw)}
    if f['entries'] is None:
        # GNU tar stops at "Unexpected EOF" on a layer that ends inside its last padding (umoci
        # insert, section 29): count it completed with that padding and the end-of-archive blocks
        pad = (-len(raw)) % 512
        n = gnu_tar_count(raw + bytes(pad + 1024))
        if n is not None: f['entries'] = n; f['missingPadding'] = pad
    if declared and declared != d: f['actualDiffID'] = d
    if digest: f['digest'] = digest
    if mt: f['mediaType'] = mt
    if data is not raw: f['compressedSize'] = len(data)
    return f

def plat(cfg):
    p = f"{cfg.get('os')}/{cfg.get('architecture')}"
    return p + (f"/{cfg['variant']}" if cfg.get('variant') else '')

def archive_facts(path):
    raw = rd(path)
    try:
        data, comp = decompress_outer(raw)
    except Exception as e:
        return decompress_outer.__name__ and sniff(raw), {'readError': f'{type(e).__name__}: {e}'}
    try:
        tf = tarfile.open(fileobj=io.BytesIO(data))
        members = {}
        order = []
        for m in tf:
            members[m.name] = m; order.append(m.name)
    except Exception as e:
        return comp, {'readError': f'{type(e).__name__}: {e}'}
    def get(name, depth=0):
        m = members.get(name)
        if m is None: return None
        if m.issym() and depth < 4:
            return get(os.path.normpath(os.path.join(os.path.dirname(name), m.linkname)), depth + 1)
        if m.islnk() and depth < 4: return get(m.linkname, depth + 1)
        return tf.extractfile(m).read()
    res = {'members': len(order), 'memberOrder': order if len(order) <= 40 else order[:40] + ['...']}
    images = []
    idx_manifests = {}   # config digest -> (manifest digest, media types)
    if 'index.json' in members:
        ref_name = None
        def walk(desc, tags, depth=0):
            b = get('blobs/sha256/' + desc['digest'][7:])
            mt = desc.get('mediaType', '')
            if b is None:
                images.append({'tags': tags, 'platform': '/'.join(filter(None, [desc.get('platform', {}).get(k) for k in ('os', 'architecture', 'variant')])) or None,
                               'manifestDigest': desc['digest'], 'present': False, 'layers': []})
                return
            j = json.loads(b)
            if 'manifests' in j:
                for d in j['manifests']: walk(d, tags, depth + 1)
                return
            cfgd = j['config']['digest']; cb = get('blobs/sha256/' + cfgd[7:])
            cfg = json.loads(cb) if cb else {}
            a = desc.get('annotations', {})
            img = {'tags': tags, 'refName': ref_name, 'platform': plat(cfg) if cfg else None, 'configDigest': cfgd,
                   'manifestDigest': desc['digest'], 'manifestMediaType': j.get('mediaType', mt), 'present': True}
            if a.get('vnd.docker.reference.type') == 'attestation-manifest':
                img['attestationFor'] = a.get('vnd.docker.reference.digest')
            ls = []
            for i, l in enumerate(j['layers']):
                lb = get('blobs/sha256/' + l['digest'][7:])
                if lb is None:
                    ls.append({'digest': l['digest'], 'mediaType': l['mediaType'], 'present': False}); continue
                if l['mediaType'].startswith('application/vnd.in-toto'):
                    ls.append({'digest': l['digest'], 'mediaType': l['mediaType'], 'size': len(lb)}); continue
                did = cfg.get('rootfs', {}).get('diff_ids', [None] * 99)[i]
                ls.append(layer_facts(lb, did, l['digest'], l['mediaType']))
            img['layers'] = ls
            idx_manifests[cfgd] = desc['digest']
            images.append(img)
        root = json.loads(get('index.json'))
        for d in root.get('manifests') or []:
            a = d.get('annotations', {})
            tags = [t for t in [a.get('io.containerd.image.name') or a.get('org.opencontainers.image.ref.name')] if t]
            ref_name = a.get('org.opencontainers.image.ref.name')
            walk(d, tags)
    def resolve(name, depth=0):
        m = members.get(name)
        if m is not None and m.issym() and depth < 4:
            return resolve(os.path.normpath(os.path.join(os.path.dirname(name), m.linkname)), depth + 1)
        if m is not None and m.islnk() and depth < 4: return resolve(m.linkname, depth + 1)
        return name
    if 'manifest.json' in members:
        mj = json.loads(get('manifest.json'))
        dimgs = []
        for e in mj or []:
            cb = get(e['Config']); cfg = json.loads(cb)
            cd = 'sha256:' + sha(cb)
            ls = []
            dids = cfg['rootfs']['diff_ids']
            for i, lp in enumerate(e['Layers']):
                lb = get(lp)
                ls.append(layer_facts(lb, dids[i] if i < len(dids) else None) if lb is not None
                          else {'path': lp, 'present': False})
                # path: the member holding the bytes; manifestPath: what manifest.json names, when
                # that is a link member to it (Docker 20.10's `docker save a b`, section 30)
                ls[-1]['path'] = resolve(lp)
                if ls[-1]['path'] != lp: ls[-1]['manifestPath'] = lp
            img = {'tags': e.get('RepoTags') or [], 'platform': plat(cfg), 'configDigest': cd,
                   'manifestDigest': idx_manifests.get(cd), 'configDiffIDs': len(dids), 'layers': ls}
            dimgs.append(img)
        res['manifestJson'] = dimgs
        if not images: images = dimgs
    res['images'] = images
    return comp, res

def cmd_facts(meta, fixdir, out):
    entries = []
    for line in open(meta):
        m = json.loads(line)
        p = os.path.join(fixdir, m['file'])
        b = rd(p)
        comp, f = archive_facts(p)
        e = {'file': m['file'], 'layout': m['layout'], 'compression': m.get('compression', comp),
             'fileSize': len(b), 'sha256': sha(b)}
        if m.get('compression', comp) != comp and m['expect'] == 'ok':
            raise SystemExit(f"{m['file']}: declared compression {m.get('compression')} but sniffed {comp}")
        e['images'] = f.get('images', [])
        if 'manifestJson' in f and f['manifestJson'] is not f['images']: e['manifestJson'] = f['manifestJson']
        e['members'] = f.get('members')
        if 'readError' in f: e['readError'] = f['readError']
        e['expect'] = m['expect']; e['purpose'] = m['purpose']
        for k, v in m.items():
            if k not in e: e[k] = v
        if m['expect'] == 'ok':
            for img in e['images']:
                for l in img.get('layers', []):
                    assert 'actualDiffID' not in l, (m['file'], l)
        entries.append(e)
    with open(out, 'w') as f: json.dump(entries, f, indent=2); f.write('\n')

if __name__ == '__main__':
    globals()['cmd_' + sys.argv[1].replace('-', '_')](*sys.argv[2:])
PYEOF
fx() { python3 "$PY" "$@"; }

# meta FILE LAYOUT COMPRESSION EXPECT PURPOSE [EXTRA_JSON_OBJECT]
meta() {
  local x='{}'; [ $# -ge 6 ] && x=$6
  jq -nc --arg f "$1" --arg l "$2" --arg c "$3" --arg e "$4" --arg p "$5" --argjson x "$x" \
    '{file:$f, layout:$l, compression:$c, expect:$e, purpose:$p} + $x' >> "$META"
}

# ------------------------------------------------------------------ real ELF files (Debian packages)
if [ "$ONLY" != docker ]; then   # section 30 (Docker's own builds) needs none
log "real ELF files from Debian packages (amd64 + arm64)"
mkdir -p "$CACHE"
if [ "$ONLY" = issue18 ]; then
  # section 29 uses the amd64 files only
  (cd "$CACHE" && for n in libattr1 hostname; do
    ls "${n}"_*_amd64.deb >/dev/null 2>&1 || apt-get download -q "$n:amd64" >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get download -q "$n:amd64" >/dev/null; }
  done)
  ELF=$WORK/elf; mkdir -p "$ELF"
  dpkg-deb -x "$(ls "$CACHE"/libattr1_*_amd64.deb | sort | tail -1)" "$ELF/x-amd64"
  dpkg-deb -x "$(ls "$CACHE"/hostname_*_amd64.deb | sort | tail -1)" "$ELF/x-amd64"
  cp "$(find "$ELF/x-amd64" -name 'libattr.so.1.*' -type f | head -1)" "$ELF/so-amd64"
  cp "$ELF/x-amd64/bin/hostname" "$ELF/exe-amd64"
  file -b "$ELF/so-amd64" | grep -q 'x86-64' && file -b "$ELF/exe-amd64" | grep -q 'x86-64' \
    || { echo "unexpected ELF files" >&2; file "$ELF"/*; exit 1; }
  SO_amd64=$ELF/so-amd64; EXE_amd64=$ELF/exe-amd64
else
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  apt-get update -qq
fi
(
  cd "$CACHE"
  for p in libattr1:amd64 libattr1:arm64 hostname:amd64 hostname:arm64 libzstd1:amd64; do
    n=${p%%:*}; a=${p##*:}
    ls "${n}"_*_"$a".deb >/dev/null 2>&1 || apt-get download -q "$p" >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get download -q "$p" >/dev/null; }
  done
)
ELF=$WORK/elf; mkdir -p "$ELF"
for a in amd64 arm64; do
  dpkg-deb -x "$(ls "$CACHE"/libattr1_*_"$a".deb | sort | tail -1)" "$ELF/x-$a"
  dpkg-deb -x "$(ls "$CACHE"/hostname_*_"$a".deb | sort | tail -1)" "$ELF/x-$a"
  cp "$(find "$ELF/x-$a" -name 'libattr.so.1.*' -type f | head -1)" "$ELF/so-$a"
  cp "$ELF/x-$a/bin/hostname" "$ELF/exe-$a"
done
file -b "$ELF/so-amd64" | grep -q 'x86-64' && file -b "$ELF/so-arm64" | grep -q 'aarch64' \
  && file -b "$ELF/exe-amd64" | grep -q 'x86-64' && file -b "$ELF/exe-arm64" | grep -q 'aarch64' \
  || { echo "unexpected ELF files" >&2; file "$ELF"/*; exit 1; }
dpkg-deb -x "$(ls "$CACHE"/libzstd1_*_amd64.deb | sort | tail -1)" "$ELF/zstd-amd64"
ZSTD_amd64=$(find "$ELF/zstd-amd64" -name 'libzstd.so.1.*' -type f | head -1)
SO_amd64=$ELF/so-amd64; SO_arm64=$ELF/so-arm64; EXE_amd64=$ELF/exe-amd64; EXE_arm64=$ELF/exe-arm64
fi
fi   # end of the real ELF files

# ------------------------------------------------------------------ umoci image helpers
# img_new NAME ARCH : OCI layout $WORK/img/NAME/oci (tag img), bundle .../b; sets ROOT
img_new() {
  IMG=$WORK/img/$1; rm -rf "$IMG"; mkdir -p "$IMG"
  umoci init --layout "$IMG/oci"
  umoci new --image "$IMG/oci:img"
  umoci config --image "$IMG/oci:img" --architecture "$2" --os linux --created "$ISO" --author imgtool-fixtures \
    --history.created "$ISO" --history.created_by "imgtool-fixtures: umoci new $2"
  umoci unpack --image "$IMG/oci:img" "$IMG/b" >/dev/null
  ROOT=$IMG/b/rootfs
  chmod 0755 "$ROOT"
}
# img_commit "CREATED_BY" : repack the bundle as a new layer (umoci writes .wh. for deletions)
img_commit() {
  find "$ROOT" -exec touch -h -d "@$E" {} +
  umoci repack --image "$IMG/oci:img" --refresh-bundle --history.created "$ISO" --history.author imgtool-fixtures \
    --history.created_by "$1" "$IMG/b"
}
# img_rawlayer TAR "CREATED_BY" : append a hand-made (GNU tar) layer, re-unpack the bundle
img_rawlayer() {
  umoci raw add-layer --image "$IMG/oci:img" --history.created "$ISO" --history.author imgtool-fixtures \
    --history.created_by "$2" "$1"
  rm -rf "$IMG/b"; umoci unpack --image "$IMG/oci:img" "$IMG/b" >/dev/null
}
# img_finish [umoci config args...] : node-style runtime config, fixed created, gc
img_finish() {
  umoci config --image "$IMG/oci:img" --config.workingdir /app \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env NODE_ENV=production --config.env PORT=3000 \
    --config.cmd node --config.cmd server.js --created "$ISO" --author imgtool-fixtures \
    --history.created "$ISO" --history.created_by 'CMD ["node" "server.js"]' "$@"
  umoci gc --layout "$IMG/oci"
}
# to_docker_archive NAME OUTFILE REF
to_docker_archive() {
  rm -f "$2"
  skopeo copy --quiet "oci:$WORK/img/$1/oci:img" "docker-archive:$2:$3"
}
# merged_info NAME -> JSON with the merged tree (umoci unpack applies whiteouts/opaques)
merged_info() {
  local m=$WORK/merged-$1; rm -rf "$m"
  umoci unpack --image "$WORK/img/$1/oci:img" "$m" >/dev/null
  fx rootfs-info "$m/rootfs"
}
# gnu tar for hand-assembled archives: fixed owner/mtime, sorted directory walk
TARDET=(--sort=name --mtime="@$E" --owner=0 --group=0 --numeric-owner)

# tar_layout DIR OUTFILE MEMBERS... : GNU tar, lexical order, like containerd / buildkit exporters
tar_layout() {
  local d=$1 o=$2; shift 2
  find "$d" -type d -exec chmod 0755 {} +
  find "$d" -type f -exec chmod 0644 {} +
  find "$d/blobs" -type f -exec chmod "${BLOBMODE:-0444}" {} +
  find "$d" -exec touch -h -d "@$E" {} +
  tar -C "$d" --format=ustar "${TARDET[@]}" -cf "$o" "$@"
}

# prisma_base NAME ARCH DISTRO : layer 1 = node + os-release + libssl
prisma_base() {
  local name=$1 arch=$2 distro=$3
  img_new "$name" "$arch"
  mkdir -p "$ROOT"/{etc,usr/lib,usr/local/bin,lib,tmp,app}
  chmod 1777 "$ROOT/tmp"
  cp "$(eval echo "\$EXE_$arch")" "$ROOT/usr/local/bin/node"; chmod 0755 "$ROOT/usr/local/bin/node"
  if [ "$distro" = alpine ]; then
    printf 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\nHOME_URL="https://alpinelinux.org/"\nBUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"\n' \
      > "$ROOT/usr/lib/os-release"
    cp "$(eval echo "\$SO_$arch")" "$ROOT/lib/libssl.so.3"
  else
    cp /usr/lib/os-release "$ROOT/usr/lib/os-release"
    local tri; [ "$arch" = amd64 ] && tri=x86_64-linux-gnu || tri=aarch64-linux-gnu
    mkdir -p "$ROOT/usr/lib/$tri"
    cp "$(eval echo "\$SO_$arch")" "$ROOT/usr/lib/$tri/libssl.so.3"
  fi
  ln -s ../usr/lib/os-release "$ROOT/etc/os-release"
  img_commit "/bin/sh -c #(nop) ADD file:$distro-$arch-rootfs in / "
}
# prisma_app [VERSION] [GENERATOR_EXTRA]: @prisma/client + .prisma/client (no engine)
prisma_app() {
  local ver=${1:-6.19.0} extra=${2:-}
  local A=$ROOT/app
  mkdir -p "$A/node_modules/@prisma/client" "$A/node_modules/.prisma/client"
  printf "const { PrismaClient } = require('@prisma/client')\nnew PrismaClient().\$connect().then(() => console.log('ok'))\n" > "$A/server.js"
  printf '{\n  "name": "app",\n  "version": "1.0.0",\n  "private": true,\n  "dependencies": { "@prisma/client": "%s" }\n}\n' "$ver" > "$A/package.json"
  printf '{\n  "name": "@prisma/client",\n  "version": "%s",\n  "main": "index.js"\n}\n' "$ver" > "$A/node_modules/@prisma/client/package.json"
  printf "module.exports = {\n  ...require('.prisma/client/default'),\n}\n" > "$A/node_modules/@prisma/client/index.js"
  printf 'generator client {\n  provider = "prisma-client-js"\n%s}\n\ndatasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n\nmodel User {\n  id    Int    @id @default(autoincrement())\n  email String @unique\n}\n' "$extra" \
    > "$A/node_modules/.prisma/client/schema.prisma"
  printf "'use strict'\nconst config = { generator: { name: 'client', provider: { value: 'prisma-client-js' } } }\nexports.PrismaClient = class PrismaClient {}\n" \
    > "$A/node_modules/.prisma/client/index.js"
  cp "$A/node_modules/.prisma/client/index.js" "$A/node_modules/.prisma/client/default.js"
  printf '{\n  "name": ".prisma/client",\n  "main": "index.js"\n}\n' > "$A/node_modules/.prisma/client/package.json"
}
ENG=app/node_modules/.prisma/client
# prisma_out NAME FILE COMPRESSION VERIFY PURPOSE [EXTRA]
prisma_out() {
  local name=$1 file=$2 comp=$3 verify=$4 purpose=$5 extra='{}'
  [ $# -ge 6 ] && extra=$6
  img_finish
  if [ -n "${VARIANT:-}" ]; then fx set-variant "$IMG/oci" "$VARIANT"; umoci gc --layout "$IMG/oci"; fi
  local tarf=$OUT/${file%.gz}
  to_docker_archive "$name" "$tarf" "$name:1.0"
  if [ "$comp" = gzip ]; then gzip -n -6 "$tarf"; fi
  local info; info=$(merged_info "$name")
  meta "$file" docker-archive-skopeo "$comp" ok "$purpose" \
    "$(jq -c --arg v "$verify" --argjson x "$extra" '{verify: ({result: $v} + $x + {engineFiles, nodeElf, prismaClientVersion}), mergedPaths}' <<<"$info")"
}

if [ -z "$ONLY" ]; then   # sections 1-28: every fixture but those of section 29

# ====================================================================== 1. skopeo docker-archive
log "1 skopeo-docker-archive.tar"
img_new app amd64
mkdir -p "$ROOT"/{bin,etc,lib,usr/lib,app,var/empty,tmp}
chmod 1777 "$ROOT/tmp"
cp "$EXE_amd64" "$ROOT/bin/hostname"; chmod 0755 "$ROOT/bin/hostname"
cp "$SO_amd64" "$ROOT/lib/libattr.so.1"
cp /usr/lib/os-release "$ROOT/usr/lib/os-release"
ln -s ../usr/lib/os-release "$ROOT/etc/os-release"
echo fixture > "$ROOT/etc/hostname"
printf 'imgtool fixture app\n' > "$ROOT/app/readme.txt"
ln "$ROOT/app/readme.txt" "$ROOT/app/readme-hardlink.txt"
printf 'to be deleted in layer 2\n' > "$ROOT/app/tmp.txt"
img_commit '/bin/sh -c #(nop) ADD file:base in / '
rm "$ROOT/app/tmp.txt"
printf '{"name":"app","port":3000}\n' > "$ROOT/app/config.json"
img_commit 'RUN rm /app/tmp.txt && echo config > /app/config.json'
mkdir -p "$ROOT/app/data"
printf 'hello\n' > "$ROOT/app/data/greeting.txt"
ln -s data "$ROOT/app/current"
img_commit 'COPY data /app/data'
img_finish
to_docker_archive app "$OUT/skopeo-docker-archive.tar" app:1.0
APP_INFO=$(merged_info app)
meta skopeo-docker-archive.tar docker-archive-skopeo none ok \
  "skopeo docker-archive of a 3-layer umoci image: <diffid>.tar layers, symlinked legacy <id>/layer.tar, real x86-64 ELF, symlink, hardlink, empty dir, a .wh. whiteout (app/tmp.txt deleted in layer 2)" \
  "$(jq -c '{mergedPathsAll, mergedPaths}' <<<"$APP_INFO")"

# ====================================================================== 2. two images, podman save -m
log "2 skopeo-docker-archive-multi.tar (podman save -m, vfs storage)"
rm -rf "$WORK/b2"; umoci unpack --image "$WORK/img/app/oci:img" "$WORK/b2" >/dev/null
mkdir -p "$WORK/b2/rootfs/app/tool"; printf '#!/bin/sh\necho tool\n' > "$WORK/b2/rootfs/app/tool/run.sh"
chmod 0755 "$WORK/b2/rootfs/app/tool/run.sh"
find "$WORK/b2/rootfs" -exec touch -h -d "@$E" {} +
umoci repack --image "$WORK/img/app/oci:tool" --refresh-bundle --history.created "$ISO" --history.created_by 'COPY tool /app/tool' "$WORK/b2"
umoci config --image "$WORK/img/app/oci:tool" --clear config.cmd --config.cmd /app/tool/run.sh --created "$ISO" \
  --history.created "$ISO" --history.created_by 'CMD ["/app/tool/run.sh"]'
PODMAN=(podman --root "$WORK/podman/root" --runroot "$WORK/podman/run" --storage-driver vfs --events-backend none
        --cgroup-manager cgroupfs --tmpdir "$WORK/podman/tmp")
mkdir -p "$WORK/podman/tmp"
ID1=$("${PODMAN[@]}" pull -q "oci:$WORK/img/app/oci:img")
ID2=$("${PODMAN[@]}" pull -q "oci:$WORK/img/app/oci:tool")
"${PODMAN[@]}" tag "$ID1" docker.io/library/app:1.0
"${PODMAN[@]}" tag "$ID2" docker.io/library/tool:2.0
rm -f "$OUT/skopeo-docker-archive-multi.tar"
"${PODMAN[@]}" save -q -m --format docker-archive -o "$OUT/skopeo-docker-archive-multi.tar" docker.io/library/app:1.0 docker.io/library/tool:2.0
"${PODMAN[@]}" rmi -a -f >/dev/null 2>&1 || true
meta skopeo-docker-archive-multi.tar docker-archive-skopeo none ok \
  "two images (app:1.0 and tool:2.0, tool = app + 1 layer) in one docker-archive written by podman save -m (containers/image writer): shared layers stored once, manifest.json with 2 entries"

# ====================================================================== 3. oci-archive (skopeo)
log "3 oci-archive.tar"
rm -f "$OUT/oci-archive.tar"
skopeo copy --quiet "oci:$WORK/img/app/oci:img" "oci-archive:$OUT/oci-archive.tar:1.0"
fx fix-mtimes "$OUT/oci-archive.tar"   # skopeo stamps its temp dir's mtimes (copy time): patch to 2024-01-01
meta oci-archive.tar oci-archive none ok \
  "skopeo oci-archive of the fixture-1 image: single-platform OCI layout, gzip layer blobs (umoci), index.json -> manifest with ref.name 1.0, no manifest.json (header mtime fields patched to 2024-01-01 for determinism)"

# ====================================================================== multi-arch images (4, 5)
log "multi-arch umoci images (amd64, arm64/v8)"
for a in amd64 arm64; do
  img_new "multi-$a" "$a"
  mkdir -p "$ROOT"/{bin,lib,etc,usr/lib}
  cp "$(eval echo "\$EXE_$a")" "$ROOT/bin/hostname"; chmod 0755 "$ROOT/bin/hostname"
  cp "$(eval echo "\$SO_$a")" "$ROOT/lib/libattr.so.1"
  cp /usr/lib/os-release "$ROOT/usr/lib/os-release"; ln -s ../usr/lib/os-release "$ROOT/etc/os-release"
  img_commit "/bin/sh -c #(nop) ADD file:base-$a in / "
  mkdir -p "$ROOT/app"; printf 'console.log("%s")\n' "$a" > "$ROOT/app/server.js"
  img_commit 'COPY server.js /app/'
  img_finish
  [ "$a" = arm64 ] && fx set-variant "$WORK/img/multi-$a/oci" v8 && umoci gc --layout "$WORK/img/multi-$a/oci"
done

log "4 oci-multiarch.tar"
fx compose oci-attest "$WORK/l-multi" app:1.0 "$WORK/img/multi-amd64/oci" "$WORK/img/multi-arm64/oci"
tar_layout "$WORK/l-multi" "$OUT/oci-multiarch.tar" blobs index.json oci-layout
meta oci-multiarch.tar oci-archive none ok \
  "OCI archive: index.json -> image index with linux/amd64 + linux/arm64/v8 manifests (umoci layers, real ELF of each arch) and a buildkit-style attestation manifest (unknown/unknown, vnd.docker.reference.type=attestation-manifest, in-toto layer)"

log "5 containerd-export.tar"
fx compose containerd "$WORK/l-ctrd" app:1.0 "$WORK/img/multi-amd64/oci" "$WORK/img/multi-arm64/oci"
tar_layout "$WORK/l-ctrd" "$OUT/containerd-export.tar" blobs index.json manifest.json oci-layout
meta containerd-export.tar containerd none ok \
  "Docker containerd-image-store style export: gzip layer blobs, index.json -> nested index (amd64 + arm64/v8) where only amd64's blobs are present (arm64 manifest/config/layers absent), manifest.json for amd64, blobs mode 0444, sorted members"

# ====================================================================== 6. docker >= 25 classic store
log "6 docker-oci.tar"
fx compose docker-oci "$WORK/l-d25" app:1.0 "$WORK/img/app/oci"
BLOBMODE=0644 tar_layout "$WORK/l-d25" "$OUT/docker-oci.tar" blobs index.json manifest.json oci-layout repositories
meta docker-oci.tar docker-oci none ok \
  "Docker >= 25 classic-store save: OCI layout with UNCOMPRESSED layer blobs named by diffID, manifest.json with LayerSources, index.json with io.containerd.image.name/ref.name, repositories, one unreferenced legacy v1 JSON blob"

# ====================================================================== 7. outer compression
log "7 outer compression variants"
S=$OUT/skopeo-docker-archive.tar
gzip -n -6 -c "$S" > "$OUT/skopeo-docker-archive.tar.gz"
sz=$(stat -c %s "$S")
part() { dd if="$S" iflag=skip_bytes,count_bytes skip="$1" count="$2" status=none; }
part 0 10007 | gzip -n -6 -c > "$WORK/p1.gz"
part 10007 $((sz / 2 - 10007)) | gzip -n -1 -c > "$WORK/p2.gz"
part $((sz / 2)) $((sz - sz / 2)) | gzip -n -9 -c > "$WORK/p3.gz"
cat "$WORK/p1.gz" "$WORK/p2.gz" "$WORK/p3.gz" > "$OUT/skopeo-docker-archive.multimember.tar.gz"
cmp <(gzip -dc "$OUT/skopeo-docker-archive.multimember.tar.gz") "$S"
pigz -n -6 -c "$S" > "$OUT/skopeo-docker-archive.pigz.tar.gz"
zstd -q -19 -c < "$S" > "$OUT/skopeo-docker-archive.tar.zst"
xz -6 -T1 -c "$S" > "$OUT/skopeo-docker-archive.tar.xz"
bzip2 -9 -c "$S" > "$OUT/skopeo-docker-archive.tar.bz2"
P1="fixture 1 (skopeo-docker-archive.tar)"
meta skopeo-docker-archive.tar.gz docker-archive-skopeo gzip ok "$P1 compressed with gzip -n -6 (single member)"
meta skopeo-docker-archive.multimember.tar.gz docker-archive-skopeo gzip ok \
  "$P1 split at bytes 10007 and size/2, each part gzip'd separately (-6, -1, -9) and concatenated: multi-member gzip (RFC 1952 §2.2)" \
  "{\"gzipMembers\":3,\"splitOffsets\":[10007,$((sz / 2))]}"
meta skopeo-docker-archive.pigz.tar.gz docker-archive-skopeo gzip ok "$P1 compressed with pigz -n -6 (pigz block layout, empty stored blocks)"
meta skopeo-docker-archive.tar.zst docker-archive-skopeo zstd ok "$P1 compressed with zstd -19 (from stdin: no content size in the frame header)"
meta skopeo-docker-archive.tar.xz docker-archive-skopeo xz ok "$P1 compressed with xz -6"
meta skopeo-docker-archive.tar.bz2 docker-archive-skopeo bzip2 ok "$P1 compressed with bzip2 -9"

# ====================================================================== 8. tar corners
log "8 tar-corners.tar"
TC=$WORK/tc; rm -rf "$TC"; mkdir -p "$TC"/{a,b,c,l}
# --- layer A: GNU format
(
  cd "$TC/a"
  LONGDIR=very-long-directory-name-number-one/very-long-directory-name-number-two/very-long-directory-name-number-three
  mkdir -p "$LONGDIR" empty-dir dev
  printf 'file behind a GNU L long name\n' > "$LONGDIR/file-with-a-long-name.txt"
  ln -s "/$LONGDIR/file-with-a-long-name.txt" long-symlink
  printf 'owned by a uid/gid beyond the octal range\n' > big-ids.txt
  chown 3000000:3000001 big-ids.txt
  truncate -s 1M sparse.bin
  printf 'start' | dd of=sparse.bin conv=notrunc status=none
  printf 'middle' | dd of=sparse.bin bs=1 seek=524288 conv=notrunc status=none
  printf 'end' | dd of=sparse.bin bs=1 seek=$((1048576 - 3)) conv=notrunc status=none
  mkfifo dev/fifo
  mknod dev/null c 1 3
  mknod dev/loop0 b 7 0
  printf 'hardlink target\n' > target.txt
  ln target.txt hardlink.txt
)
find "$TC/a" -exec touch -h -d "@$E" {} +
tar -C "$TC/a" --format=gnu --sparse --sort=name --mtime="@$E" --numeric-owner -cf "$TC/l/layerA.tar" .
# --- layer B: PAX format
(
  cd "$TC/b"
  LONGDIR=pax-long-directory-name-number-one/pax-long-directory-name-number-two/pax-long-directory-name-number-three
  mkdir -p "$LONGDIR"
  printf 'file behind a PAX path record\n' > "$LONGDIR/file-with-a-long-name.txt"
  printf 'has xattrs\n' > xattr.txt
  printf 'sub-second mtime\n' > subsecond.txt
)
XATTR=yes
setfattr -n user.foo -v bar "$TC/b/xattr.txt" 2>/dev/null || XATTR=no
find "$TC/b" -exec touch -h -d "@$E" {} +
touch -d '2024-01-01 00:00:00.123456789 UTC' "$TC/b/subsecond.txt"
chown -R 0:0 "$TC/b"
tar -C "$TC/b" --format=pax --xattrs --xattrs-include='user.*' --sort=name --numeric-owner \
  --pax-option="globexthdr.name=pax_global_header,globexthdr.mtime=$E,comment=imgtool-fixture" \
  --pax-option="exthdr.name=%d/PaxHeaders/%f,exthdr.mtime=$E,delete=atime,delete=ctime" -cf "$TC/l/layerB.tar" .
# --- layer C: ustar with the prefix field
(
  cd "$TC/c"
  D=ustar-prefix-directory-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/ustar-prefix-directory-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
  mkdir -p "$D"
  printf 'name split between ustar prefix and name\n' > "$D/file-in-prefixed-directory.txt"
)
find "$TC/c" -exec touch -h -d "@$E" {} +
tar -C "$TC/c" --format=ustar "${TARDET[@]}" -cf "$TC/l/layerC.tar" .
# --- layer D: python tarfile, AREGTYPE ('\0') member
fx areg-layer "$TC/l/layerD.tar"
# sanity checks of the corners with python tarfile
python3 - "$TC/l" <<'EOF'
import sys, tarfile
d = sys.argv[1]
A = {m.name: m for m in tarfile.open(f'{d}/layerA.tar')}
raw = open(f'{d}/layerA.tar', 'rb').read()
flags = {chr(raw[o + 156]) for o in range(0, len(raw), 512) if raw[o + 257:o + 262] == b'ustar'}
assert {'L', 'K', 'S', '6', '3', '4', '1', '2', '5'} <= flags, flags
assert any(len(n) > 100 for n in A) and any(len(m.linkname) > 100 for m in A.values())
assert A['./big-ids.txt'].uid == 3000000 and A['./big-ids.txt'].gid == 3000001
hdr = [o for o in range(0, len(raw), 512) if raw[o:o + 14] == b'./big-ids.txt\0'][0]
assert raw[hdr + 108] & 0x80, 'uid not base-256'
rawb = open(f'{d}/layerB.tar', 'rb').read()
assert any(rawb[o + 156:o + 157] == b'g' for o in range(0, len(rawb), 512) if rawb[o + 257:o + 262] == b'ustar')
B = tarfile.open(f'{d}/layerB.tar')
mB = {m.name: m for m in B}
assert mB['./subsecond.txt'].mtime % 1 != 0, mB['./subsecond.txt'].mtime
rawc = open(f'{d}/layerC.tar', 'rb').read()
assert any(rawc[o + 345] not in (0,) for o in range(0, len(rawc), 512) if rawc[o + 257:o + 262] == b'ustar')
rawd = open(f'{d}/layerD.tar', 'rb').read()
assert any(rawd[o + 156] == 0 for o in range(0, len(rawd), 512) if rawd[o + 257:o + 262] == b'ustar')
EOF
XAT_B=$(python3 -c "import tarfile;print(any('SCHILY.xattr.user.foo' in m.pax_headers for m in tarfile.open('$TC/l/layerB.tar')))")
rm -rf "$TC/arch"; mkdir -p "$TC/arch"
fx legacy "$TC/arch" corners:1.0 amd64 "$TC/l/layerA.tar" "$TC/l/layerB.tar" "$TC/l/layerC.tar" "$TC/l/layerD.tar"
find "$TC/arch" -exec touch -h -d "@$E" {} +
tar -C "$TC/arch" --format=ustar "${TARDET[@]}" -cf "$OUT/tar-corners.tar" $(cd "$TC/arch" && ls)
meta tar-corners.tar docker-legacy none ok \
  "legacy docker save layout around 4 hand-made layers: A GNU format (L long name, K long link, base-256 uid/gid 3000000/3000001, old-GNU sparse 'S' 1 MiB file, FIFO, char dev 1:3, block dev 7:0, hardlink, empty dir); B PAX (path record, SCHILY.xattr.user.foo, global 'g' header, sub-second mtime); C ustar prefix field; D python tarfile with an AREGTYPE '\\\\0' member" \
  "{\"xattrsStored\":$( [ "$XAT_B" = True ] && echo true || echo false ),\"layerFormats\":[\"gnu\",\"pax\",\"ustar\",\"ustar+AREGTYPE\"],\"sparseFile\":{\"path\":\"sparse.bin\",\"size\":1048576}}"

# ====================================================================== 9. whiteouts
log "9 whiteouts.tar"
img_new wh amd64
mkdir -p "$ROOT/app/dir"
echo a > "$ROOT/app/a"; echo b > "$ROOT/app/b"; echo x > "$ROOT/app/dir/x"; echo keep > "$ROOT/keep"
img_commit 'L1: create /app/a /app/b /app/dir/x /keep'
rm "$ROOT/app/a"; echo c > "$ROOT/app/c"
img_commit 'L2: rm /app/a, add /app/c'
L3=$WORK/wh-l3; rm -rf "$L3"; mkdir -p "$L3/app/dir"
echo y > "$L3/app/dir/y"; : > "$L3/app/dir/.wh..wh..opq"; echo e > "$L3/app/e"; : > "$L3/app/.wh.e"
find "$L3" -exec touch -h -d "@$E" {} +
# explicit member order: y BEFORE the opaque marker, e BEFORE its same-layer whiteout
tar -C "$L3" --format=ustar --no-recursion --mtime="@$E" --owner=0 --group=0 --numeric-owner -cf "$WORK/wh-l3.tar" \
  app/ app/dir/ app/dir/y app/dir/.wh..wh..opq app/e app/.wh.e
img_rawlayer "$WORK/wh-l3.tar" 'L3 (GNU tar): app/dir opaque after app/dir/y; app/e + app/.wh.e in the same layer'
img_finish
to_docker_archive wh "$OUT/whiteouts.tar" whiteouts:1.0
WH_INFO=$(merged_info wh)
WANT='["/app","/app/b","/app/c","/app/dir","/app/dir/y","/app/e"]'
[ "$(jq -c .mergedPaths <<<"$WH_INFO")" = "$WANT" ] || { echo "umoci merged tree differs: $WH_INFO" >&2; exit 1; }
meta whiteouts.tar docker-archive-skopeo none ok \
  "whiteout semantics: L1 /app/a,/app/b,/app/dir/x,/keep; L2 umoci .wh.a + /app/c; L3 (GNU tar) app/dir/y then app/dir/.wh..wh..opq (opaque applies first regardless of order), app/e then app/.wh.e in the same layer (e survives). mergedPaths = /app tree after merge (checked with umoci unpack)" \
  "$(jq -c '{mergedPaths, mergedPathsAll}' <<<"$WH_INFO")"

# ====================================================================== Prisma images
log "10 prisma-ok-debian-amd64"
prisma_base prisma-ok-debian-amd64 amd64 debian; prisma_app
cp "$SO_amd64" "$ROOT/$ENG/libquery_engine-debian-openssl-3.0.x.so.node"
img_commit 'COPY --from=builder /app /app'
prisma_out prisma-ok-debian-amd64 prisma-ok-debian-amd64.tar none ok \
  "Debian 12 amd64, OpenSSL 3 (libssl.so.3 in /usr/lib/x86_64-linux-gnu), Prisma 6.19.0 library engine libquery_engine-debian-openssl-3.0.x.so.node (x86-64 ELF): correct" \
  '{"expectedTarget":"debian-openssl-3.0.x","engineType":"library"}'

log "11 prisma-missing"
prisma_base prisma-missing amd64 debian; prisma_app
rm -rf "$ROOT/app/node_modules/.prisma"
img_commit 'COPY --from=builder /app/.next/standalone /app'
prisma_out prisma-missing prisma-missing.tar none missing-engine \
  "Next.js standalone failure: @prisma/client present, app/node_modules/.prisma absent: no query engine anywhere" \
  '{"expectedTarget":"debian-openssl-3.0.x","engineType":"library"}'

log "12 prisma-whiteout"
prisma_base prisma-whiteout amd64 debian; prisma_app
cp "$SO_amd64" "$ROOT/$ENG/libquery_engine-debian-openssl-3.0.x.so.node"
img_commit 'COPY --from=builder /app /app'
rm -rf "$ROOT/app/node_modules/.prisma"
img_commit 'RUN rm -rf /app/node_modules/.prisma'
prisma_out prisma-whiteout prisma-whiteout.tar none missing-engine \
  "engine present in layer 2 but app/node_modules/.prisma deleted in layer 3 (umoci whiteout app/node_modules/.wh..prisma): engine not in the merged FS" \
  '{"expectedTarget":"debian-openssl-3.0.x","engineType":"library"}'

log "13 prisma-opaque"
prisma_base prisma-opaque amd64 debian; prisma_app
cp "$SO_amd64" "$ROOT/$ENG/libquery_engine-debian-openssl-3.0.x.so.node"
img_commit 'COPY --from=builder /app /app'
OP=$WORK/op; rm -rf "$OP"; mkdir -p "$OP/app/node_modules/@prisma/client"
cp "$ROOT/app/node_modules/@prisma/client/package.json" "$ROOT/app/node_modules/@prisma/client/index.js" "$OP/app/node_modules/@prisma/client/"
: > "$OP/app/node_modules/.wh..wh..opq"
find "$OP" -exec touch -h -d "@$E" {} +
tar -C "$OP" --format=ustar --no-recursion --mtime="@$E" --owner=0 --group=0 --numeric-owner -cf "$WORK/op.tar" \
  app/ app/node_modules/ app/node_modules/.wh..wh..opq app/node_modules/@prisma/ app/node_modules/@prisma/client/ \
  app/node_modules/@prisma/client/index.js app/node_modules/@prisma/client/package.json
img_rawlayer "$WORK/op.tar" 'COPY --from=deps /app/node_modules /app/node_modules (opaque)'
prisma_out prisma-opaque prisma-opaque.tar none missing-engine \
  "layer 3 (GNU tar) makes app/node_modules opaque (.wh..wh..opq) and re-adds only @prisma/client: the engine from layer 2 is hidden" \
  '{"expectedTarget":"debian-openssl-3.0.x","engineType":"library"}'

log "14 prisma-readded"
prisma_base prisma-readded amd64 debian; prisma_app
cp "$SO_amd64" "$ROOT/$ENG/libquery_engine-debian-openssl-3.0.x.so.node"
img_commit 'COPY --from=builder /app /app'
mv "$ROOT/app/node_modules/.prisma" "$WORK/prisma-saved"
img_commit 'RUN rm -rf /app/node_modules/.prisma'
mv "$WORK/prisma-saved" "$ROOT/app/node_modules/.prisma"
img_commit 'COPY --from=builder /app/node_modules/.prisma /app/node_modules/.prisma'
prisma_out prisma-readded prisma-readded.tar none ok \
  "engine added in layer 2, deleted in layer 3 (whiteout), re-added in layer 4: present in the merged FS" \
  '{"expectedTarget":"debian-openssl-3.0.x","engineType":"library"}'

log "15 prisma-wrong-target"
prisma_base prisma-wrong-target amd64 debian; prisma_app
cp "$SO_arm64" "$ROOT/$ENG/libquery_engine-darwin-arm64.dylib.node"
cp "$SO_amd64" "$ROOT/$ENG/libquery_engine-linux-musl-openssl-3.0.x.so.node"
img_commit 'COPY --from=builder /app /app'
prisma_out prisma-wrong-target prisma-wrong-target.tar none wrong-target \
  "Debian amd64 image with only libquery_engine-darwin-arm64.dylib.node (content: an aarch64 ELF, no real Mach-O available) and libquery_engine-linux-musl-openssl-3.0.x.so.node: no engine for debian-openssl-3.0.x" \
  '{"expectedTarget":"debian-openssl-3.0.x","engineType":"library","presentTargets":["darwin-arm64","linux-musl-openssl-3.0.x"]}'

log "16 prisma-wrong-elf"
prisma_base prisma-wrong-elf amd64 debian; prisma_app
cp "$SO_arm64" "$ROOT/$ENG/libquery_engine-debian-openssl-3.0.x.so.node"
img_commit 'COPY --from=builder /app /app'
prisma_out prisma-wrong-elf prisma-wrong-elf.tar.gz gzip wrong-elf-arch \
  "amd64 image whose libquery_engine-debian-openssl-3.0.x.so.node (right name) is an aarch64 ELF" \
  '{"expectedTarget":"debian-openssl-3.0.x","engineType":"library"}'

log "17 prisma-alpine-musl"
prisma_base prisma-alpine-musl amd64 alpine; prisma_app
cp "$SO_amd64" "$ROOT/$ENG/libquery_engine-linux-musl-openssl-3.0.x.so.node"
img_commit 'COPY --from=builder /app /app'
prisma_out prisma-alpine-musl prisma-alpine-musl.tar none ok \
  "Alpine 3.19 amd64 (ID=alpine, libssl.so.3 in /lib), engine libquery_engine-linux-musl-openssl-3.0.x.so.node (x86-64 ELF): correct" \
  '{"expectedTarget":"linux-musl-openssl-3.0.x","engineType":"library"}'

log "18 prisma-arm64"
prisma_base prisma-arm64 arm64 debian; prisma_app
cp "$SO_arm64" "$ROOT/$ENG/libquery_engine-linux-arm64-openssl-3.0.x.so.node"
img_commit 'COPY --from=builder /app /app'
VARIANT=v8 prisma_out prisma-arm64 prisma-arm64.tar.gz gzip ok \
  "Debian 12 arm64/v8 (libssl.so.3 in /usr/lib/aarch64-linux-gnu), node and libquery_engine-linux-arm64-openssl-3.0.x.so.node are aarch64 ELF: correct" \
  '{"expectedTarget":"linux-arm64-openssl-3.0.x","engineType":"library"}'

log "19 prisma-multiarch.tar"
prisma_base pm-amd64 amd64 debian; prisma_app
cp "$SO_amd64" "$ROOT/$ENG/libquery_engine-debian-openssl-3.0.x.so.node"
img_commit 'COPY --from=builder /app /app'; img_finish
PM_AMD=$(merged_info pm-amd64)
prisma_base pm-arm64 arm64 debian; prisma_app
cp "$SO_amd64" "$ROOT/$ENG/libquery_engine-debian-openssl-3.0.x.so.node"
img_commit 'COPY --from=builder /app /app'; img_finish
fx set-variant "$IMG/oci" v8; umoci gc --layout "$IMG/oci"
PM_ARM=$(merged_info pm-arm64)
fx compose oci "$WORK/l-pm" prisma-multiarch:1.0 "$WORK/img/pm-amd64/oci" "$WORK/img/pm-arm64/oci"
tar_layout "$WORK/l-pm" "$OUT/prisma-multiarch.tar" blobs index.json oci-layout
meta prisma-multiarch.tar oci-archive none ok \
  "OCI archive, index with linux/amd64 (debian-openssl-3.0.x engine, x86-64: correct) and linux/arm64/v8 (only the debian-openssl-3.0.x engine, x86-64 ELF: wrong target for arm64, needs linux-arm64-openssl-3.0.x)" \
  "$(jq -nc --argjson a "$PM_AMD" --argjson b "$PM_ARM" '{verify: {perPlatform: {"linux/amd64": ({result: "ok", expectedTarget: "debian-openssl-3.0.x"} + ($a | {engineFiles, nodeElf, prismaClientVersion})), "linux/arm64/v8": ({result: "wrong-target", expectedTarget: "linux-arm64-openssl-3.0.x"} + ($b | {engineFiles, nodeElf, prismaClientVersion}))}}}')"

log "20 prisma-pnpm"
prisma_base prisma-pnpm amd64 debian
PN=$ROOT/app/node_modules/.pnpm/@prisma+client@6.19.0_prisma@6.19.0/node_modules
mkdir -p "$PN/@prisma/client" "$PN/.prisma/client" "$ROOT/app/node_modules/@prisma"
printf '{\n  "name": "@prisma/client",\n  "version": "6.19.0",\n  "main": "index.js"\n}\n' > "$PN/@prisma/client/package.json"
printf "module.exports = { ...require('.prisma/client/default') }\n" > "$PN/@prisma/client/index.js"
printf 'generator client {\n  provider = "prisma-client-js"\n}\n\ndatasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n' > "$PN/.prisma/client/schema.prisma"
printf "exports.PrismaClient = class PrismaClient {}\n" > "$PN/.prisma/client/index.js"
cp "$PN/.prisma/client/index.js" "$PN/.prisma/client/default.js"
# pnpm content-addressable store inside the image (pnpm --store-dir /app/.pnpm-store): it sorts
# before node_modules, so umoci's lexical walk writes the store file first and the engine in
# .prisma/client as the hardlink (typeflag 1) to it
H=$(sha256sum "$SO_amd64" | cut -c1-64)
EPN=$ROOT/app/.pnpm-store/v3/files/${H:0:2}/${H:2}
mkdir -p "$(dirname "$EPN")"
cp "$SO_amd64" "$EPN"
ln "$EPN" "$PN/.prisma/client/libquery_engine-debian-openssl-3.0.x.so.node"
ln -s ../.pnpm/@prisma+client@6.19.0_prisma@6.19.0/node_modules/@prisma/client "$ROOT/app/node_modules/@prisma/client"
printf "require('@prisma/client')\n" > "$ROOT/app/server.js"
printf '{ "name": "app", "dependencies": { "@prisma/client": "6.19.0" } }\n' > "$ROOT/app/package.json"
img_commit 'COPY --from=builder /app /app (pnpm)'
HL=$(python3 - "$WORK/img/prisma-pnpm/oci" <<'EOF'
import sys, json, gzip, tarfile, io
L = sys.argv[1]
idx = json.load(open(f'{L}/index.json'))
m = json.load(open(f"{L}/blobs/sha256/{idx['manifests'][0]['digest'][7:]}"))
t = tarfile.open(fileobj=io.BytesIO(gzip.decompress(open(f"{L}/blobs/sha256/{m['layers'][-1]['digest'][7:]}", 'rb').read())))
print(json.dumps([{'path': x.name, 'linkname': x.linkname} for x in t if x.islnk()]))
EOF
)
jq -e 'any(.[]; (.path | endswith(".prisma/client/libquery_engine-debian-openssl-3.0.x.so.node")) and (.linkname | startswith("app/.pnpm-store/")))' <<<"$HL" >/dev/null \
  || { echo "umoci repack did not write the pnpm engine as a hardlink: $HL" >&2; exit 1; }
prisma_out prisma-pnpm prisma-pnpm.tar none ok \
  "pnpm layout: engine in app/node_modules/.pnpm/@prisma+client@6.19.0_prisma@6.19.0/node_modules/.prisma/client/ is a HARDLINK (tar typeflag 1, written by umoci) to the pnpm store file app/.pnpm-store/v3/files/xx/<hash> earlier in the same layer; app/node_modules/@prisma/client is a SYMLINK into .pnpm" \
  "$(jq -nc --argjson h "$HL" '{expectedTarget: "debian-openssl-3.0.x", engineType: "library", hardlinks: $h, clientSymlink: {path: "app/node_modules/@prisma/client", target: "../.pnpm/@prisma+client@6.19.0_prisma@6.19.0/node_modules/@prisma/client"}}')"

log "21 prisma7"
prisma_base prisma7 amd64 debian
prisma_app 7.0.0
rm -rf "$ROOT/app/node_modules/.prisma"
mkdir -p "$ROOT/app/prisma" "$ROOT/app/src/generated/prisma"
printf 'generator client {\n  provider = "prisma-client"\n  output   = "../src/generated/prisma"\n}\n\ndatasource db {\n  provider = "postgresql"\n}\n\nmodel User {\n  id    Int    @id @default(autoincrement())\n  email String @unique\n}\n' > "$ROOT/app/prisma/schema.prisma"
printf "export * from './client'\n" > "$ROOT/app/src/generated/prisma/index.ts"
printf "import { PrismaPg } from '@prisma/adapter-pg'\nexport const adapter = PrismaPg\n" > "$ROOT/app/src/generated/prisma/client.ts"
img_commit 'COPY --from=builder /app /app'
prisma_out prisma7 prisma7.tar none ok \
  "Prisma 7.0.0: generator provider = \"prisma-client\" with output = \"../src/generated/prisma\", driver adapters, no query engine anywhere (correct for Prisma 7)" \
  '{"engineType":"none (prisma 7 query compiler)","schemaPath":"app/prisma/schema.prisma"}'

log "22 prisma-binary-engine"
prisma_base prisma-binary-engine amd64 debian
prisma_app 6.19.0 $'  engineType = "binary"\n'
cp "$EXE_amd64" "$ROOT/$ENG/query-engine-debian-openssl-3.0.x"; chmod 0755 "$ROOT/$ENG/query-engine-debian-openssl-3.0.x"
img_commit 'COPY --from=builder /app /app'
prisma_out prisma-binary-engine prisma-binary-engine.tar none ok \
  "engineType = \"binary\" in schema.prisma and query-engine-debian-openssl-3.0.x (x86-64 ELF executable, mode 0755) present: correct" \
  '{"expectedTarget":"debian-openssl-3.0.x","engineType":"binary"}'

log "23 arch-mismatch"
prisma_base arch-mismatch amd64 debian
cp "$EXE_arm64" "$ROOT/usr/local/bin/node"
prisma_app
cp "$SO_amd64" "$ROOT/$ENG/libquery_engine-debian-openssl-3.0.x.so.node"
img_commit 'COPY --from=builder /app /app'
prisma_out arch-mismatch arch-mismatch.tar.gz gzip arch-mismatch \
  "config says linux/amd64 but usr/local/bin/node (Cmd node server.js, via PATH) is an aarch64 ELF, overwritten in layer 2 (the labels lie); engine itself is correct x86-64" \
  '{"expectedTarget":"debian-openssl-3.0.x","engineType":"library","configArch":"amd64","entrypointElf":"aarch64"}'

# ====================================================================== bad inputs
log "24 bad-layer-digest.tar"
BD=$WORK/bd; rm -rf "$BD"; mkdir -p "$BD/good/app" "$BD/bad/app" "$BD/arch"
printf 'hello world\n' > "$BD/good/app/hello.txt"
printf 'hello worle\n' > "$BD/bad/app/hello.txt"     # one byte flipped, same size
for v in good bad; do
  find "$BD/$v" -exec touch -h -d "@$E" {} +
  tar -C "$BD/$v" --format=ustar "${TARDET[@]}" -cf "$BD/$v.tar" app
done
fx legacy "$BD/arch" baddigest:1.0 amd64 "$BD/bad.tar=$BD/good.tar"
find "$BD/arch" -exec touch -h -d "@$E" {} +
tar -C "$BD/arch" --format=ustar "${TARDET[@]}" -cf "$OUT/bad-layer-digest.tar" $(cd "$BD/arch" && ls)
meta bad-layer-digest.tar docker-legacy none corrupt \
  "legacy docker-archive whose only layer (valid tar, valid header checksums) has one content byte changed (hello world -> hello worle): sha256(layer) != config rootfs.diff_ids[0] (see layers[0].actualDiffID)" \
  '{"errorDetail":"diffid-mismatch"}'

log "25 bad-layer-count.tar"
BC=$WORK/bc; rm -rf "$BC"; mkdir -p "$BC/l1/app" "$BC/l2/app" "$BC/arch"
printf 'one\n' > "$BC/l1/app/one.txt"; printf 'two\n' > "$BC/l2/app/two.txt"
for v in l1 l2; do
  find "$BC/$v" -exec touch -h -d "@$E" {} +
  tar -C "$BC/$v" --format=ustar "${TARDET[@]}" -cf "$BC/$v.tar" app
done
fx legacy "$BC/arch" badcount:1.0 amd64 "$BC/l1.tar" "$BC/l2.tar" --manifest-layers=1
find "$BC/arch" -exec touch -h -d "@$E" {} +
tar -C "$BC/arch" --format=ustar "${TARDET[@]}" -cf "$OUT/bad-layer-count.tar" $(cd "$BC/arch" && ls)
meta bad-layer-count.tar docker-legacy none malformed \
  "legacy docker-archive whose manifest.json Layers lists 1 layer while config rootfs.diff_ids has 2 (containers/image: \"Inconsistent layer count\")" \
  '{"errorDetail":"layer-count-mismatch","manifestLayers":1,"configDiffIDs":2}'

log "26 not-an-archive.bin, plain-tar-not-image.tar"
fx random "$OUT/not-an-archive.bin" 4096
meta not-an-archive.bin none none malformed "4096 pseudo-random bytes (python random, fixed seed; first byte 0xbd): not tar, not a known compression" \
  '{"errorDetail":"not-a-tar"}'
PT=$WORK/pt; rm -rf "$PT"; mkdir -p "$PT/notes"
printf 'just a text file\n' > "$PT/notes/a.txt"; printf 'another one\n' > "$PT/notes/b.txt"; printf '# readme\n' > "$PT/README.md"
find "$PT" -exec touch -h -d "@$E" {} +
tar -C "$PT" --format=gnu "${TARDET[@]}" -cf "$OUT/plain-tar-not-image.tar" README.md notes
meta plain-tar-not-image.tar none none malformed "valid GNU tar of a few text files: no manifest.json, no index.json: not an image archive" \
  '{"errorDetail":"no-image-metadata"}'

log "27 truncated-at-boundary.tar, truncated-mid-member.tar, truncated.tar.gz"
CUT=$(fx cut-boundary "$OUT/skopeo-docker-archive.tar" "$OUT/truncated-at-boundary.tar" repositories)
meta truncated-at-boundary.tar docker-archive-skopeo none truncated \
  "fixture 1 cut exactly at the 512-byte header of its last member (repositories): manifest.json and every layer are complete but there is no end-of-archive zero blocks; a naive tar reader sees a clean EOF" \
  "{\"cutAt\":$CUT,\"droppedMembers\":[\"repositories\"]}"
CUT2=$(fx cut-mid "$OUT/skopeo-docker-archive.tar" "$OUT/truncated-mid-member.tar" .tar)
meta truncated-mid-member.tar docker-archive-skopeo none truncated \
  "fixture 1 cut in the middle of the first layer member's data" "{\"cutAt\":$CUT2}"
GZ=$OUT/skopeo-docker-archive.tar.gz
head -c $(( $(stat -c %s "$GZ") / 2 )) "$GZ" > "$OUT/truncated.tar.gz"
meta truncated.tar.gz docker-archive-skopeo gzip truncated "fixture 1's .tar.gz cut in half: gzip stream ends without its trailer" \
  "{\"cutAt\":$(( $(stat -c %s "$GZ") / 2 ))}"

# ====================================================================== install + facts
log "28 deploy-v1.tar.gz, deploy-v2.tar.gz"
# Two builds of one app, as two deploys see them: the same two base layers (node and libssl, then
# libzstd.so.1 from Debian's libzstd1, 0.8 MB), then an app layer that changed between builds (BUILD_ID and
# server.js). Built from scratch twice with the same steps, so the base layers are equal byte for
# byte (checked below); `docker save | gzip` of each. The ship tests pack both and ship them one
# after the other, and count that the second sends only what changed.
deploy_version() {
  local v=$1
  prisma_base "deploy-v$v" amd64 debian
  mkdir -p "$ROOT/usr/lib/x86_64-linux-gnu"
  cp "$ZSTD_amd64" "$ROOT/usr/lib/x86_64-linux-gnu/libzstd.so.1"
  img_commit '/bin/sh -c apt-get install -y --no-install-recommends libzstd1'
  prisma_app
  cp "$SO_amd64" "$ROOT/$ENG/libquery_engine-debian-openssl-3.0.x.so.node"
  mkdir -p "$ROOT/app/.next"
  printf 'deploy-build-000%s\n' "$v" > "$ROOT/app/.next/BUILD_ID"
  printf "// build %s\nconsole.log('maia v%s listening on', process.env.PORT)\n" "$v" "$v" >> "$ROOT/app/server.js"
  img_commit 'COPY --from=builder /app /app'
  prisma_out "deploy-v$v" "deploy-v$v.tar.gz" gzip ok \
    "version $v of a two-version deploy: base layers (node and libssl; libzstd.so.1 from Debian's libzstd1) shared with deploy-v$((3 - v)).tar.gz byte for byte, app layer changed (BUILD_ID, server.js); for ship's delta tests" \
    '{"expectedTarget":"debian-openssl-3.0.x","engineType":"library"}'
}
deploy_version 1
deploy_version 2
B1=$(jq -r '.manifests[0].digest' "$WORK/img/deploy-v1/oci/index.json")
B2=$(jq -r '.manifests[0].digest' "$WORK/img/deploy-v2/oci/index.json")
L1=$(jq -r '.layers[0:2] | map(.digest) | join(" ")' "$WORK/img/deploy-v1/oci/blobs/sha256/${B1#sha256:}")
L2=$(jq -r '.layers[0:2] | map(.digest) | join(" ")' "$WORK/img/deploy-v2/oci/blobs/sha256/${B2#sha256:}")
[ "$L1" = "$L2" ] || { echo "deploy-v1 and deploy-v2 base layers differ: $L1 / $L2" >&2; exit 1; }
A1=$(jq -r '.layers[-1].digest' "$WORK/img/deploy-v1/oci/blobs/sha256/${B1#sha256:}")
A2=$(jq -r '.layers[-1].digest' "$WORK/img/deploy-v2/oci/blobs/sha256/${B2#sha256:}")
[ "$A1" != "$A2" ] || { echo "deploy-v1 and deploy-v2 app layers are equal" >&2; exit 1; }
fi   # end of sections 1-28

if [ "$ONLY" != docker ]; then   # section 29: also in the full run
# ====================================================================== 29. issue 18 (--only issue18)
# umoci 0.4.7's `insert` never closes its tar writer (umoci#436, fixed by umoci#534): the layer
# ends right after the last file's data, with neither its padding to 512 bytes nor the two
# end-of-archive blocks. Go's archive/tar (Docker, podman, skopeo) reads such a layer to a clean
# EOF; GNU tar and python's tarfile call it truncated. Two archives of one umoci image: base layer
# by `umoci repack` (complete), then two layers by `umoci insert` (a directory, then one file).
log "29 umoci-insert-oci.tar, umoci-insert-docker-archive.tar (umoci insert, umoci#436)"
command -v go >/dev/null 2>&1 || { echo "section 29 needs go (apt-get install -y golang-go) for its archive/tar check" >&2; exit 1; }
img_new umoci-insert amd64
mkdir -p "$ROOT"/{etc,usr/lib,usr/local/bin}
cp "$EXE_amd64" "$ROOT/usr/local/bin/node"; chmod 0755 "$ROOT/usr/local/bin/node"
cp /usr/lib/os-release "$ROOT/usr/lib/os-release"; ln -s ../usr/lib/os-release "$ROOT/etc/os-release"
img_commit '/bin/sh -c #(nop) ADD file:base in / '
INS=$WORK/insert; rm -rf "$INS"; mkdir -p "$INS/app"
printf "console.log('inserted by umoci insert')\n" > "$INS/app/server.js"     # 40 bytes: last entry, unpadded
printf '{ "name": "app", "version": "1.0.0" }\n' > "$INS/app/package.json"
printf '1.0.0+umoci-insert\n' > "$INS/VERSION"                                 # 19 bytes
find "$INS" -exec touch -h -d "@$E" {} +
umoci insert --image "$IMG/oci:img" --history.created "$ISO" --history.author imgtool-fixtures \
  --history.created_by 'umoci insert app /app' "$INS/app" /app
umoci insert --image "$IMG/oci:img" --history.created "$ISO" --history.author imgtool-fixtures \
  --history.created_by 'umoci insert VERSION /app/VERSION' "$INS/VERSION" /app/VERSION
img_finish
UI_INFO=$(merged_info umoci-insert)
# what the layers are: the last two end inside their final padding, with no end-of-archive blocks,
# and Go's archive/tar reads every entry of each without an error
# (Tests/Fixtures/tools/go-tar-read.go: Go's archive/tar, as Docker, podman and skopeo read layers)
GOTAR=$WORK/gotar; mkdir -p "$GOTAR"
GOCACHE=$GOTAR/cache GO111MODULE=off go build -o "$GOTAR/gotar" "$FIX/tools/go-tar-read.go"
UI_ENDS=$(python3 - "$IMG/oci" "$GOTAR/gotar" <<'PYEOF'
import sys, json, gzip, subprocess
L, gotar = sys.argv[1], sys.argv[2]
idx = json.load(open(f'{L}/index.json'))
m = json.load(open(f"{L}/blobs/sha256/{idx['manifests'][0]['digest'][7:]}"))
out = []
for l in m['layers']:
    raw = gzip.decompress(open(f"{L}/blobs/sha256/{l['digest'][7:]}", 'rb').read())
    go = subprocess.run([gotar, '-layer'], input=raw, capture_output=True)
    assert go.returncode == 0, go.stderr
    gnu = subprocess.run(['tar', '-tf', '-'], input=raw, capture_output=True)
    out.append({'size': len(raw), 'missingPadding': (-len(raw)) % 512,
                'endsWithZeroBlocks': len(raw) >= 1024 and raw[-1024:] == bytes(1024),
                'goArchiveTarEntries': int(go.stdout), 'gnuTarExit': gnu.returncode})
ends = [(o['missingPadding'] > 0, o['endsWithZeroBlocks']) for o in out]
assert ends == [(False, True), (True, False), (True, False)], out   # repack complete, both inserts unpadded
print(json.dumps(out))
PYEOF
)
BLOBMODE=0644 tar_layout "$IMG/oci" "$OUT/umoci-insert-oci.tar" blobs index.json oci-layout
meta umoci-insert-oci.tar oci-archive none ok \
  "OCI archive (GNU tar of the umoci layout) of a 3-layer image whose layers 2 and 3 were written by umoci 0.4.7 insert: gzip layers whose tar ends right after the last file's data, without its padding to 512 bytes or the end-of-archive blocks (umoci#436); Go's archive/tar reads them, their diff_ids match" \
  "$(jq -nc --argjson e "$UI_ENDS" --argjson i "$UI_INFO" '{layerEnds: $e, mergedPaths: $i.mergedPaths}')"
to_docker_archive umoci-insert "$OUT/umoci-insert-docker-archive.tar" umoci-insert:1.0
# both archives, and every layer in them, read by Go's archive/tar without an error
"$GOTAR/gotar" "$OUT/umoci-insert-oci.tar" >/dev/null && "$GOTAR/gotar" "$OUT/umoci-insert-docker-archive.tar" >/dev/null
meta umoci-insert-docker-archive.tar docker-archive-skopeo none ok \
  "skopeo docker-archive of the umoci-insert image: skopeo decompresses the layers as they are, so <diffid>.tar members 2 and 3 are uncompressed tars ending inside their final padding (umoci#436), in an archive that is itself complete" \
  "$(jq -nc --argjson e "$UI_ENDS" --argjson i "$UI_INFO" '{layerEnds: $e, mergedPaths: $i.mergedPaths}')"

# pnpm without the generated client: @prisma/client under node_modules/.pnpm (symlinked from
# node_modules/@prisma/client, as pnpm lays it out) but no .prisma beside it or under WorkingDir
log "29 prisma-pnpm-missing.tar"
prisma_base prisma-pnpm-missing amd64 debian
PN=$ROOT/app/node_modules/.pnpm/@prisma+client@6.19.0_prisma@6.19.0/node_modules
mkdir -p "$PN/@prisma/client" "$ROOT/app/node_modules/@prisma"
printf '{\n  "name": "@prisma/client",\n  "version": "6.19.0",\n  "main": "index.js"\n}\n' > "$PN/@prisma/client/package.json"
printf "module.exports = { ...require('.prisma/client/default') }\n" > "$PN/@prisma/client/index.js"
ln -s ../.pnpm/@prisma+client@6.19.0_prisma@6.19.0/node_modules/@prisma/client "$ROOT/app/node_modules/@prisma/client"
printf "require('@prisma/client')\n" > "$ROOT/app/server.js"
printf '{ "name": "app", "dependencies": { "@prisma/client": "6.19.0" } }\n' > "$ROOT/app/package.json"
img_commit 'COPY --from=builder /app /app (pnpm, without prisma generate)'
prisma_out prisma-pnpm-missing prisma-pnpm-missing.tar none missing-engine \
  "pnpm layout without the generated client: app/node_modules/@prisma/client is a SYMLINK into app/node_modules/.pnpm/@prisma+client@6.19.0_prisma@6.19.0/node_modules/@prisma/client, and there is no .prisma beside it (nor in app/node_modules)" \
  '{"expectedTarget":"debian-openssl-3.0.x","engineType":"library","clientSymlink":{"path":"app/node_modules/@prisma/client","target":"../.pnpm/@prisma+client@6.19.0_prisma@6.19.0/node_modules/@prisma/client"}}'
fi   # end of section 29

if [ "$ONLY" != issue18 ]; then   # section 30: also in the full run
# ====================================================================== 30. Docker 20.10's own writer (--only docker)
# `docker save` of Debian's docker.io 20.10 (legacy layout: <v1id>/layer.tar, <v1id>/json,
# <v1id>/VERSION, <config>.json, manifest.json, repositories) from a dockerd this section starts
# itself: own data and exec roots under the work dir, vfs, no iptables and no bridge, its own unix
# socket; stopped through its pidfile when the script exits, also on an error. The images are
# `DOCKER_BUILDKIT=0 docker build`s FROM scratch (COPY, ENV, WORKDIR, LABEL, CMD, ENTRYPOINT; no
# RUN) of small text files. Reproducible where the classic builder lets it be: the context's
# files have fixed contents, modes and mtimes (2024-01-01); but the builder stamps `created` (config
# and history) with the build time, and every directory that a COPY or WORKDIR creates gets the
# build time as its mtime, so each run writes new config digests, v1 ids and diff_ids (only a
# layer of files at / , hello.txt's, keeps its diff_id). fixtures.json is regenerated with them.
log "30 docker/*.tar (docker save of Debian's docker.io 20.10)"
DKD=$WORK/dockerd; mkdir -m 0700 "$DKD"
DKPID=
# docker_stop: the dockerd of this section, by its pidfile (dockerd removes it when it exits;
# before it is written, by the pid of the background job), then what it may have left mounted
docker_stop() {
  local pid=
  [ -s "$DKD/docker.pid" ] && pid=$(cat "$DKD/docker.pid")
  [ -n "$pid" ] || pid=$DKPID
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "dockerd $pid did not stop in 15 s: killed" >&2; kill -9 "$pid" 2>/dev/null || true
      # its containerd (started by dockerd, pidfile in the exec root) is left without it
      [ -s "$DKD/exec/containerd/containerd.pid" ] && kill -9 "$(cat "$DKD/exec/containerd/containerd.pid")" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  DKPID=
  findmnt -rn -o TARGET 2>/dev/null | awk -v d="$DKD/" 'index($0, d) == 1' | sort -r | while read -r m; do umount "$m" || true; done
}
trap 'docker_stop; cleanup' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM
"$DOCKERD" --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
  --data-root "$DKD/root" --exec-root "$DKD/exec" --pidfile "$DKD/docker.pid" \
  -H "unix://$DKD/docker.sock" > "$DKD/dockerd.log" 2>&1 &
DKPID=$!
dk() { "$DOCKER" -H "unix://$DKD/docker.sock" "$@"; }
for i in $(seq 1 100); do
  dk version >/dev/null 2>&1 && break
  kill -0 "$DKPID" 2>/dev/null || { echo "dockerd exited:" >&2; tail -20 "$DKD/dockerd.log" >&2; exit 1; }
  [ "$i" = 100 ] && { echo "dockerd did not answer in 20 s:" >&2; tail -20 "$DKD/dockerd.log" >&2; exit 1; }
  sleep 0.2
done
DKVER=$(dk version --format '{{.Server.Version}}')
case "$DKVER" in 20.10.*) ;; *) echo "section 30 wants Docker 20.10's writer, the daemon is $DKVER" >&2; exit 1 ;; esac
DKOUT=$OUT/docker; mkdir -p "$DKOUT"
CTX=$WORK/docker-ctx
# dbuild NAME TAG : build context $CTX/NAME (Dockerfile written by the caller), fixed modes and mtimes
dbuild() {
  local c=$CTX/$1
  find "$c" -type d -exec chmod 0755 {} +
  find "$c" -type f ! -name '*.sh' ! -path '*/bin/*' -exec chmod 0644 {} +
  find "$c" -exec touch -h -d "@$E" {} +
  DOCKER_BUILDKIT=0 dk build --quiet --no-cache --platform linux/amd64 -t "$2" "$c" >/dev/null
}
# dfacts FILE : what python (tarfile, json, hashlib) finds in a docker save archive beyond
# archive_facts: each image's history (empty_layer entries), the repositories file, symlink members
dfacts() {
  python3 - "$1" "$DKVER" <<'PYEOF'
import sys, json, tarfile, hashlib, gzip, io
p, ver = sys.argv[1], sys.argv[2]
raw = open(p, 'rb').read()
if raw[:2] == b'\x1f\x8b': raw = gzip.decompress(raw)
t = tarfile.open(fileobj=io.BytesIO(raw))
ms = {m.name: m for m in t}
rd = lambda n: t.extractfile(ms[n]).read()
images = []
for e in json.loads(rd('manifest.json')):
    cb = rd(e['Config']); cfg = json.loads(cb)
    hist = [{'createdBy': h.get('created_by'), 'emptyLayer': bool(h.get('empty_layer'))} for h in cfg.get('history', [])]
    assert sum(not h['emptyLayer'] for h in hist) == len(cfg['rootfs']['diff_ids']) == len(e['Layers']), p
    images.append({'configDigest': 'sha256:' + hashlib.sha256(cb).hexdigest(), 'config': e['Config'],
                   'repoTags': e.get('RepoTags'), 'history': hist,
                   'emptyLayerEntries': sum(h['emptyLayer'] for h in hist)})
links = [{'member': m.name, 'target': m.linkname} for m in t if m.issym() or m.islnk()]
print(json.dumps({'madeBy': f'docker save (Docker {ver})', 'dockerSave': {
    'images': images, 'repositories': json.loads(rd('repositories')), 'symlinks': links}}, separators=(',', ':')))
PYEOF
}

# the files the images copy: a file at /, a small /etc, an app tree with node_modules/.prisma
mkdir -p "$CTX"/hello "$CTX"/web/etc "$CTX"/web/app/node_modules/@prisma/client "$CTX"/web/app/node_modules/.prisma/client "$CTX"/tool/bin
printf "hello from Docker 20.10's docker save\n" > "$CTX/hello/hello.txt"
printf 'PRETTY_NAME="imgtool fixture (FROM scratch)"\nID=scratch\n' > "$CTX/web/etc/os-release"
printf "console.log('web listening on', process.env.PORT)\n" > "$CTX/web/app/server.js"
printf '{\n  "name": "web",\n  "version": "1.0.0",\n  "private": true,\n  "dependencies": { "@prisma/client": "6.19.0" }\n}\n' > "$CTX/web/app/package.json"
printf '{\n  "name": "@prisma/client",\n  "version": "6.19.0",\n  "main": "index.js"\n}\n' > "$CTX/web/app/node_modules/@prisma/client/package.json"
printf 'generator client {\n  provider = "prisma-client-js"\n}\n\ndatasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n' \
  > "$CTX/web/app/node_modules/.prisma/client/schema.prisma"
printf '#!/bin/sh\necho tool 2.0\n' > "$CTX/tool/bin/tool"; chmod 0755 "$CTX/tool/bin/tool"

# (a) one layer: a file at /
printf 'FROM scratch\nCOPY hello.txt /hello.txt\n' > "$CTX/hello/Dockerfile"
dbuild hello hello:1.0
dk save -o "$DKOUT/one-layer.tar" hello:1.0
meta docker/one-layer.tar docker-legacy none ok \
  "docker save (Docker $DKVER) of a FROM scratch image with one layer (COPY hello.txt /): <v1id>/layer.tar, <v1id>/json, <v1id>/VERSION, <config>.json, manifest.json, repositories" \
  "$(dfacts "$DKOUT/one-layer.tar")"

# (b) three layers and five empty_layer history entries: LABEL, ENV, ENV, CMD, and WORKDIR of a
# directory that is there already; the first WORKDIR /app creates /app, which is a layer of its own
cat > "$CTX/web/Dockerfile" <<'EOF'
FROM scratch
LABEL org.opencontainers.image.title="imgtool fixture" org.opencontainers.image.version="1.0"
ENV NODE_ENV=production PORT=3000
COPY etc/ /etc/
WORKDIR /app
COPY app/ /app/
ENV APP_VERSION=1.0
WORKDIR /app
CMD ["node", "server.js"]
EOF
dbuild web web:1.0
dk save -o "$DKOUT/empty-layers.tar" web:1.0
meta docker/empty-layers.tar docker-legacy none ok \
  "docker save (Docker $DKVER) of a FROM scratch image whose config history has 8 entries, 5 of them empty_layer (LABEL, ENV, ENV, WORKDIR of an existing directory, CMD): 3 layers (COPY etc/, WORKDIR /app creating /app, COPY app/ with node_modules/.prisma/client/schema.prisma)" \
  "$(dfacts "$DKOUT/empty-layers.tar")"
# (e) the same image as `docker save | gzip`: docker save writes the same tar again
dk save web:1.0 | gzip -n -6 > "$DKOUT/empty-layers.tar.gz"
gzip -dc "$DKOUT/empty-layers.tar.gz" | cmp - "$DKOUT/empty-layers.tar" \
  || { echo "two docker saves of web:1.0 differ" >&2; exit 1; }
meta docker/empty-layers.tar.gz docker-legacy gzip ok \
  "docker save web:1.0 | gzip -n -6: the tar inside is docker/empty-layers.tar byte for byte (checked by the script)" \
  "$(dfacts "$DKOUT/empty-layers.tar.gz" | jq -c '. + {gunzipsTo: "docker/empty-layers.tar"}')"

# (c) one image, three tags (two repositories, one with a registry host and port)
cat > "$CTX/web/Dockerfile.app" <<'EOF'
FROM scratch
COPY app/package.json /app/package.json
COPY app/ /app/
WORKDIR /app
ENTRYPOINT ["node"]
CMD ["server.js"]
EOF
find "$CTX/web" -exec touch -h -d "@$E" {} +
DOCKER_BUILDKIT=0 dk build --quiet --no-cache --platform linux/amd64 -f "$CTX/web/Dockerfile.app" -t app:1.0 "$CTX/web" >/dev/null
dk tag app:1.0 app:latest
dk tag app:1.0 registry.example:5000/team/app:1.0
dk save -o "$DKOUT/several-tags.tar" app:1.0 app:latest registry.example:5000/team/app:1.0
meta docker/several-tags.tar docker-legacy none ok \
  "docker save app:1.0 app:latest registry.example:5000/team/app:1.0 (Docker $DKVER): one manifest.json entry with three RepoTags, repositories with two repositories" \
  "$(dfacts "$DKOUT/several-tags.tar")"

# (d) two images in one archive: tool:2.0 is FROM hello:1.0. hello's layer is the top layer of
# one and not of the other, so Docker gives it two v1 ids: one <v1id>/layer.tar is the file, the
# other a symlink member to it. Which image gets which, and the order of manifest.json, follow
# Go's map order and can change from one save to the next.
printf 'FROM hello:1.0\nCOPY bin/ /usr/local/bin/\nENV TOOL_VERSION=2.0\nENTRYPOINT ["/usr/local/bin/tool"]\n' > "$CTX/tool/Dockerfile"
dbuild tool tool:2.0
dk save -o "$DKOUT/two-images.tar" hello:1.0 tool:2.0
DF=$(dfacts "$DKOUT/two-images.tar")
[ "$(jq '.dockerSave.symlinks | length' <<<"$DF")" = 1 ] || { echo "two-images.tar: expected one symlinked layer.tar" >&2; exit 1; }
meta docker/two-images.tar docker-legacy none ok \
  "docker save hello:1.0 tool:2.0 (Docker $DKVER), tool FROM hello: two manifest.json entries; hello's layer stored once, the other <v1id>/layer.tar a symlink member to it (manifestPath)" \
  "$DF"

docker_stop
trap cleanup EXIT
fi   # end of section 30

log "install into $FIX"
find "$OUT" -type d -exec chmod 0755 {} +
find "$OUT" -type f -exec chmod 0644 {} +
# install_out : every file of $OUT to the same relative path under $FIX (docker/ is a folder)
install_out() {
  (cd "$OUT" && find . -type f | sed 's|^\./||' | sort) | while read -r f; do
    mkdir -p "$FIX/$(dirname "$f")"; mv "$OUT/$f" "$FIX/$f"
  done
}
if [ -n "$ONLY" ]; then
  # only this section's files: moved in, their facts merged into fixtures.json (python writes the
  # same bytes for the entries it leaves as they are: json.dump with indent 2, as cmd_facts does).
  # --only docker owns Tests/Fixtures/docker/: its old files and entries are replaced as a whole.
  NEW=$(cd "$OUT" && find . -type f | sed 's|^\./||' | sort)
  OWNED=; [ "$ONLY" = docker ] && OWNED=docker/
  if [ -n "$OWNED" ]; then
    jq -r --arg p "$OWNED" '.[].file | select(startswith($p))' "$FIX/fixtures.json" | while read -r f; do rm -f "$FIX/$f"; done
  fi
  install_out
  fx facts "$META" "$FIX" "$WORK/new-facts.json"
  python3 - "$FIX/fixtures.json" "$WORK/new-facts.json" "$OWNED" <<'PYEOF'
import sys, json
old = json.load(open(sys.argv[1])); new = json.load(open(sys.argv[2])); owned = sys.argv[3]
# in place: a remade entry where it was (the owned folder's new entries where its first old one
# was), entries that are new at the end
names = {e['file'] for e in new}
merged, placed = [], set()
for e in old:
    f = e['file']
    if owned and f.startswith(owned):
        if not placed: merged += new; placed |= names
    elif f in names:
        if f not in placed: merged.append(next(n for n in new if n['file'] == f)); placed.add(f)
    else:
        merged.append(e)
merged += [n for n in new if n['file'] not in placed]
with open(sys.argv[1], 'w') as f: json.dump(merged, f, indent=2); f.write('\n')
PYEOF
else
  NEW=
  # remove previously generated outputs (only files this script owns), then move the new ones in
  if [ -f "$FIX/fixtures.json" ]; then
    jq -r '.[].file' "$FIX/fixtures.json" | while read -r f; do rm -f "$FIX/$f"; done
  fi
  install_out
  fx facts "$META" "$FIX" "$FIX/fixtures.json"
fi

log "self-check with skopeo inspect"
fail=0
while read -r f layout expect; do
  [ "$expect" = ok ] || continue
  if [ -n "$NEW" ]; then grep -qx "$f" <<<"$NEW" || continue; fi
  case "$layout" in
    docker-*) ref="docker-archive:$FIX/$f" ;;
    containerd) ref="docker-archive:$FIX/$f" ;;
    oci-archive) ref="oci-archive:$FIX/$f" ;;
    *) continue ;;
  esac
  # skopeo 1.9.3 (Debian 12) fails on gzip'd docker-archives ("loading tar component manifest.json:
  # unexpected EOF") although zstd/xz/bzip2 work: check the gzip stream with gzip -t and inspect the tar
  case "$f" in *.gz)
    gzip -t "$FIX/$f"; gzip -dc "$FIX/$f" > "$WORK/inspect.tar"; ref="${ref%%:*}:$WORK/inspect.tar" ;;
  esac
  case "$f" in *multi.tar) ref="$ref:docker.io/library/tool:2.0" ;; docker/two-images.tar) ref="$ref:tool:2.0" ;; esac
  if ! skopeo inspect --raw "$ref" >/dev/null 2>"$WORK/sk.err"; then
    echo "skopeo inspect failed: $f: $(cat "$WORK/sk.err")" >&2; fail=1
  fi
done < <(jq -r '.[] | "\(.file) \(.layout) \(.expect)"' "$FIX/fixtures.json")
[ $fail = 0 ] || exit 1
log "done: $(jq length "$FIX/fixtures.json") fixtures, $(du -sh "$FIX" | cut -f1)"
