import ByteIO
import OCI

/// The POSIX shell scripts that imgtool runs on the remote, and nothing else runs there.
///
/// They need `sh`, coreutils (`head -c`, `cut`, `wc`, `mv`, `df`) and one SHA-256 tool
/// (`sha256sum`, else `shasum -a 256`, else `openssl dgst -sha256`). Every value in them is
/// quoted with ``ShellQuote``. Each prints one reply per line and `end` when it got to its end,
/// so that an interrupted command is never mistaken for a finished one.
///
/// The remote layout, all inside the destination directory `D`:
///
/// ```
/// D/NAME                      the archive, published by rename once its SHA-256 is checked
/// D/NAME.sha256               "<hex>  NAME", as `sha256sum -c` reads it
/// D/.imgtool/chunks/<hex>     verified chunks, named by their SHA-256
/// D/.imgtool/.tmp.<id>.<hex>  a chunk being received or cut out (renamed into chunks/ once
///                             checked; written beside chunks/, which another ship's cleanup
///                             removes whenever it is empty)
/// D/.imgtool/ships/<hex>.<id> the chunk list of a ship in progress (keeps its chunks alive)
/// D/.imgtool/kept/<t>.<n>.<id> the index of one of the last --keep archives published here:
///                             "<hex> <name>", then "<chunk hex> <offset> <length>" per chunk;
///                             a later ship cuts the chunks it needs out of that file
/// D/.imgtool/.part.<id>       the archive being assembled
/// ```
enum RemoteScript {
    /// The SHA-256 tools, in the order they are looked for, and the function that hashes stdin.
    ///
    /// `openssl` comes first because it is the fastest where it exists: measured on this project's
    /// machines, `openssl dgst -sha256` hashed 341 MB in 0.29 s and coreutils 9.1's `sha256sum`
    /// in 1.75 s (OpenSSL uses the CPU's SHA instructions). A tool counts only if it hashes the
    /// empty input right.
    static let tools: [(name: String, function: String)] = [
        ("openssl", "h() { openssl dgst -sha256 -r | cut -c1-64; }"),
        ("sha256sum", "h() { sha256sum | cut -c1-64; }"),
        ("shasum", "h() { shasum -a 256 | cut -c1-64; }"),
    ]

    struct Context {
        var directory: String
        var name: String
        var digest: String
        var size: Int64
        var shipID: String
        var tool: String = "sha256sum"

        var prelude: String {
            let hash = RemoteScript.tools.first { $0.name == tool }?.function ?? RemoteScript.tools[0].function
            return """
                export LC_ALL=C
                umask 022
                D=\(ShellQuote.quote(directory))
                N=\(ShellQuote.quote(name))
                W=\(ShellQuote.quote(digest))
                Z=\(ShellQuote.quote(String(size)))
                I=\(ShellQuote.quote(shipID))
                S="$D/.imgtool"
                C="$S/chunks"
                \(hash)
                say() { printf '%s\\n' "$(printf '%s' "$*" | tr '\\n' ' ')"; }
                size() { wc -c < "$1" | tr -d ' '; }
                # stage TMP HEX: a checked chunk into chunks/, which a concurrent ship's cleanup
                # may have just removed (it removes it whenever it is empty).
                stage() { for _ in 1 2 3; do mkdir -p "$C" 2>/dev/null; mv -f "$1" "$C/$2" 2>/dev/null && return 0; done; rm -f "$1"; return 1; }

                """
        }
    }

    /// Finds the hash tool, checks and prepares the directory, says whether the archive is
    /// already published, and, for each `<hex> <length>` line on stdin, whether that chunk is
    /// staged and intact (`have`), was cut out of an earlier archive published here (`reused`),
    /// or was there damaged and is now removed (`corrupt`).
    static func probe(_ c: Context) -> String {
        var tools = "T=\n"
        for t in Self.tools {
            tools += "if [ -z \"$T\" ] && command -v \(t.name) >/dev/null 2>&1; then \(t.function)\n"
            tools += "    [ \"$(printf '' | h 2>/dev/null)\" != \"$E\" ] || T=\(t.name)\nfi\n"
        }
        tools += "[ -n \"$T\" ] || { say error nosha; echo end; exit 0; }\n"
        return c.prelude + "E=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" + tools + """
            echo "tool $T"
            if [ -e "$D" ] && [ ! -d "$D" ]; then say error notdir; echo end; exit 0; fi
            if [ -f "$D/$N" ] && [ -f "$D/$N.sha256" ] && [ "$(cut -c1-64 < "$D/$N.sha256")" = "$W" ] \\
                && [ "$(size "$D/$N")" = "$Z" ] && [ "$(h < "$D/$N")" = "$W" ]; then
                cat > /dev/null
                echo published
                echo end
                exit 0
            fi
            [ ! -e "$D/$N" ] || echo replaces
            e=$(mkdir -p "$C" "$S/ships" 2>&1) || { say error mkdir "$e"; echo end; exit 0; }
            e=$( (: > "$S/.probe.$I") 2>&1) || { say error write "$e"; echo end; exit 0; }
            rm -f "$S/.probe.$I"
            echo "free $(df -Pk "$S" 2>/dev/null | awk 'NR==2 {print $4}')"
            M="$S/ships/$W.$I"
            : > "$M"
            while read -r x n; do
                printf '%s\\n' "$x" >> "$M"
                if [ -f "$C/$x" ]; then
                    if [ "$(size "$C/$x")" = "$n" ] && [ "$(h < "$C/$x")" = "$x" ]; then echo "have $x"; continue
                    else rm -f "$C/$x"; echo "corrupt $x"; fi
                fi
                # Not staged: cut it out of an archive published here before, if its index names it.
                for k in "$S"/kept/*; do
                    [ -f "$k" ] || continue
                    read -r kw kn < "$k"
                    [ -f "$D/$kn" ] && [ "$(cut -c1-64 < "$D/$kn.sha256" 2>/dev/null)" = "$kw" ] || continue
                    # Past the header line: a one-chunk archive's chunk has the archive's own hash.
                    l=$(tail -n +2 "$k" | grep -m 1 "^$x ") || continue
                    set -- $l
                    t="$S/.tmp.$I.$x"
                    tail -c +$(($2 + 1)) "$D/$kn" 2>/dev/null | head -c "$3" > "$t" 2>/dev/null
                    if [ "$(h < "$t")" = "$x" ] && stage "$t" "$x"; then echo "reused $x"; break; fi
                    rm -f "$t"; echo "corrupt $x"
                done
            done
            echo end
            """
    }

    /// Receives chunks from stdin, each a line `<hex> <length>` and then its bytes; writes each
    /// under a temporary name, checks its SHA-256 (while the next one arrives) and renames it to
    /// `<hex>`: `ok <hex>`, or `bad <hex>` when the bytes did not match.
    static func receive(_ c: Context) -> String {
        c.prelude + """
            mkdir -p "$S" 2>/dev/null
            trap 'rm -f "$S/.tmp.$I".*; exit 1' HUP INT TERM
            p=
            while read -r x n; do
                t="$S/.tmp.$I.$x"
                e=$(head -c "$n" 2>&1 > "$t") || {
                    rm -f "$t"; [ -z "$p" ] || wait "$p"; say error write "$e"; echo end; exit 0
                }
                [ -z "$p" ] || wait "$p"
                ( if [ "$(h < "$t")" = "$x" ] && stage "$t" "$x"; then echo "ok $x"; else rm -f "$t"; echo "bad $x"; fi ) &
                p=$!
            done
            [ -z "$p" ] || wait "$p"
            echo end
            """
    }

    /// Assembles the archive from the `<hex> <offset> <length>` lines on stdin (in file order), checks its SHA-256
    /// and size, and publishes it and its `.sha256` by rename, under a lock so that two ships of
    /// the same name cannot mix one's archive with the other's checksum. Then it records the
    /// archive's chunk index (the last `keep` are kept), removes every staged chunk that no ship
    /// in progress needs, and removes `.imgtool` when nothing is left in it.
    ///
    /// Replies: `missing <hex>` (a chunk vanished: send it again), `corrupt <hex>` (the assembled
    /// file did not match and this chunk was the cause), `published`, or `error ...`.
    static func finish(_ c: Context, keep: Int) -> String {
        c.prelude + """
            if [ -f "$D/$N.sha256" ] && [ "$(cut -c1-64 < "$D/$N.sha256")" = "$W" ] && [ -f "$D/$N" ] \\
                && [ "$(size "$D/$N")" = "$Z" ] && [ "$(h < "$D/$N")" = "$W" ]; then
                cat > /dev/null
                echo published
            else
                trap 'rm -f "$S/.idx.$I"' 0
                cat > "$S/.idx.$I"
                L=$(cut -d ' ' -f 1 "$S/.idx.$I")
                m=
                for x in $L; do [ -f "$C/$x" ] || { echo "missing $x"; m=1; }; done
                [ -z "$m" ] || { echo end; exit 0; }
                P="$S/.part.$I"
                trap 'rm -f "$P" "$S/.sum.$I"; exit 1' HUP INT TERM
                # One pass: the chunks are concatenated into P and hashed on the way; any error
                # of cat or tee comes out before the hash, on the lines above it.
                out=$( { { for x in $L; do cat "$C/$x" || exit 1; done; } 2>&3 | tee "$P" 2>&3 | h; } 3>&1 )
                got=$(printf '%s\n' "$out" | tail -n 1)
                if [ "$(size "$P")" != "$Z" ]; then
                    rm -f "$P"
                    for x in $L; do [ -f "$C/$x" ] || { echo "missing $x"; m=1; }; done
                    [ -n "$m" ] || say error write "$(printf '%s\n' "$out" | sed '$d')"
                    echo end; exit 0
                fi
                if [ "$got" != "$W" ]; then
                    rm -f "$P"
                    for x in $L; do [ "$(h < "$C/$x")" = "$x" ] || { rm -f "$C/$x"; echo "corrupt $x"; }; done
                    echo end; exit 0
                fi
                e=$(printf '%s  %s\\n' "$W" "$N" 2>&1 > "$S/.sum.$I") || { rm -f "$P" "$S/.sum.$I"; say error write "$e"; echo end; exit 0; }
                K="$S/.lock.$N"
                i=0
                until mkdir "$K" 2>/dev/null; do
                    i=$((i + 1))
                    if [ $i -ge 600 ] || [ -n "$(find "$K" -maxdepth 0 -mmin +2 2>/dev/null)" ]; then rmdir "$K" 2>/dev/null; i=0; fi
                    sleep 0.1 2>/dev/null || sleep 1
                done
                e=$( (mv -f "$P" "$D/$N" && mv -f "$S/.sum.$I" "$D/$N.sha256") 2>&1 ); r=$?
                rmdir "$K" 2>/dev/null
                [ $r -eq 0 ] || { rm -f "$P" "$S/.sum.$I"; say error write "$e"; echo end; exit 0; }
                echo published
            fi
            # Remember where this archive's chunks are (its index), for the last KEEP archives;
            # then remove every staged chunk that no ship in progress still needs.
            KEEP=\(max(0, keep))
            mkdir -p "$S/kept" "$S/ships"
            if [ "$KEEP" -gt 0 ] && [ -f "$S/.idx.$I" ]; then
                for k in "$S"/kept/*; do
                    [ -f "$k" ] || continue
                    read -r kw kn < "$k"
                    [ "$kn" != "$N" ] || rm -f "$k"
                done
                # Named <epoch>.<sequence>.<id>, so that listing the names in order lists the
                # archives in the order they were published, even within one second.
                q=$(ls "$S/kept" | awk -F. '$2 + 0 > m { m = $2 + 0 } END { print m + 1 }')
                { printf '%s %s\\n' "$W" "$N"; cat "$S/.idx.$I"; } > "$S/kept/.new.$I" \\
                    && mv -f "$S/kept/.new.$I" "$S/kept/$(date +%s).$(printf '%09d' "$q").$I"
            fi
            # Every chunk list of this archive: it is published, so a ship of it that was killed
            # needs nothing more, and one still running finds it published when it finishes.
            rm -f "$S/.idx.$I" "$S/kept/.new.$I" "$S/ships/$W".*
            find "$S/ships" -type f -mmin +10080 -exec rm -f {} + 2>/dev/null
            n=0
            for k in $(ls -r "$S/kept"); do
                n=$((n + 1)); [ $n -le "$KEEP" ] || rm -f "$S/kept/$k"
            done
            R=$(cat "$S/ships/"* 2>/dev/null)
            for f in "$C"/*; do
                [ -f "$f" ] || continue
                case "$R" in *"${f##*/}"*) ;; *) rm -f "$f" ;; esac
            done
            find "$C" "$S" -maxdepth 1 -name '.tmp.*' -mmin +60 -exec rm -f {} + 2>/dev/null
            find "$S" -maxdepth 1 \\( -name '.part.*' -o -name '.idx.*' \\) -mmin +60 -exec rm -f {} + 2>/dev/null
            # Each on its own: a concurrent ship may already have removed some of them.
            for x in "$C" "$S/ships" "$S/kept" "$S"; do rmdir "$x" 2>/dev/null; done
            echo end
            """
    }

    /// `docker load` (or, where there is no docker, `podman load`) of the published archive, its
    /// compression recognised by its first bytes (never its name): gzip and zstd decompressed on
    /// the server by `gzip -dc` / `zstd -dc` when it has them, which every engine then reads
    /// (Docker 20.10 reads no zstd, moby/moby#41759; Docker 24's containerd store no compressed
    /// archive at all, moby/moby#46600; podman 4.3 no gzip docker-archive); only without the tool
    /// is the file handed to `load -i` as it is. `TargetChecks` in ImageVerify judges the same
    /// rules before anything is sent.
    static func load(_ c: Context) -> String {
        c.prelude + """
            cd "$D" || exit 1
            if command -v docker >/dev/null 2>&1; then L=docker
            elif command -v podman >/dev/null 2>&1; then L=podman
            else echo "imgtool: neither docker nor podman is on the PATH of $(uname -n)" >&2; exit 127
            fi
            echo "imgtool-loader $L"
            m=$(head -c 4 -- "$N" | od -An -tx1 | tr -d ' \\n')
            case "$m" in
                1f8b08*) z=gzip ;;
                28b52ffd|5?2a4d18) z=zstd ;;
                *) z= ;;
            esac
            if [ -n "$z" ] && command -v "$z" >/dev/null 2>&1; then "$z" -dc -- "$N" | "$L" load
            else "$L" load -i "$N"
            fi
            """
    }

    /// The user's `--then` command, run by `sh` in the destination directory.
    static func then(_ c: Context, command: String) -> String {
        "cd \(ShellQuote.quote(c.directory)) && exec sh -c \(ShellQuote.quote(command))"
    }
}
