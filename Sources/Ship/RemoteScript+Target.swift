extension RemoteScript {
    /// Finds out what the remote is, reading only: `uname`, the container engines and their
    /// daemons, compose, the decompressors `--load` can use, binfmt_misc emulators, the
    /// commands `--then` starts, and the destination directory's state and free space. One
    /// fact a line (``RemoteTarget/parse(_:)``), then `end`.
    ///
    /// Every engine command runs under `timeout 15` where `timeout` exists, so a daemon whose
    /// socket accepts and never answers cannot hang the ship.
    static func target(_ c: Context, commands: [String]) -> String {
        let names = commands.map(ShellQuote.quote).joined(separator: " ")
        return """
            export LC_ALL=C
            D=\(ShellQuote.quote(c.directory))
            N=\(ShellQuote.quote(c.name))
            say() { printf '%s\\n' "$(printf '%s' "$*" | tr '\\n' ' ')"; }
            # Only a timeout(1) that takes `timeout SECONDS CMD` (busybox before 1.30 wants -t).
            if timeout 1 true >/dev/null 2>&1; then t() { timeout 15 "$@"; }; else t() { "$@"; }; fi
            say uname "$(uname -s)" "$(uname -m)"
            # The engines' commands run at once, in the background (each a second or so on a
            # small VPS); each job prints its facts with one printf, one write, so that lines
            # never mix. `engine` comes first: the facts about an engine follow its line.
            if p=$(command -v docker 2>/dev/null); then
                say engine docker "$p"
                ( printf 'client docker %s\n' "$(t docker version --format '{{.Client.Version}}' 2>/dev/null | head -n 1)" ) &
                ( if v=$(t docker version --format '{{.Server.Version}}' 2>&1) && [ -n "$v" ]; then
                      printf 'server docker %s\n' "$(printf '%s\n' "$v" | tail -n 1)"
                  else
                      printf 'daemon-error docker %s\n' "$(printf '%s\n' "$v" | grep -v '^ *$' | tail -n 1)"
                  fi ) &
                ( i=$(t docker info --format '{{.Driver}}|{{json .DriverStatus}}' 2>/dev/null | head -n 1)
                  [ -z "$i" ] || printf 'driver docker %s\ndriver-status docker %s\n' "${i%%|*}" "${i#*|}" ) &
                ( v=$(t docker compose version --short 2>/dev/null | head -n 1)
                  case "$v" in [0-9]*|v[0-9]*) printf 'compose-plugin %s\n' "$v" ;; esac ) &
            fi
            if p=$(command -v podman 2>/dev/null); then
                say engine podman "$p"
                ( printf 'client podman %s\n' "$(t podman version --format '{{.Client.Version}}' 2>/dev/null | head -n 1)" ) &
                ( if v=$(t podman info --format '{{.Version.Version}}' 2>&1) && [ -n "$v" ]; then
                      printf 'server podman %s\n' "$(printf '%s\n' "$v" | tail -n 1)"
                  else
                      printf 'daemon-error podman %s\n' "$(printf '%s\n' "$v" | grep -v '^ *$' | tail -n 1)"
                  fi ) &
            fi
            command -v docker-compose >/dev/null 2>&1 && say compose-standalone
            for x in gzip zstd; do command -v "$x" >/dev/null 2>&1 && say tool "$x"; done
            for f in /proc/sys/fs/binfmt_misc/*; do
                [ -f "$f" ] || continue
                case "${f##*/}" in register|status) continue ;; esac
                [ "$(head -n 1 "$f" 2>/dev/null)" = enabled ] && say binfmt "${f##*/}"
            done
            for x in \(names); do
                if command -v "$x" >/dev/null 2>&1; then say command "$x" yes; else say command "$x" no; fi
            done
            p=$D
            while [ -n "$p" ] && [ ! -e "$p" ]; do p=$(dirname -- "$p"); done
            if [ -e "$D" ] && [ ! -d "$D" ]; then say dir notdir
            elif [ ! -w "${p:-.}" ]; then say dir notwritable "${p:-.}"
            elif [ -d "$D" ]; then say dir writable
            else say dir creatable
            fi
            [ ! -f "$D/$N" ] || say existing "$(wc -c < "$D/$N" | tr -d ' ')"
            say free "$(df -Pk "${p:-.}" 2>/dev/null | awk 'NR==2 {print $4, $2}')"
            wait
            echo end
            """
    }
}
