# bench/loopback-sshd.sh: sourced by bench/ship.sh, bench/zstd.sh and bench/cache.sh. Starts sshd as this user on
# a free loopback port with keys made for the run, in $work (the caller's temporary folder, whose
# cleanup kills $work/sshd.pid); sets SSH (an ssh command for host `bench`) and IMGTOOL_SSH,
# and defines proxy, stop_proxy and counted (the counting proxy $PROXY in front of it; the
# caller's pids array collects what to kill). Needs $SSHD.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/client_key"
cp "$work/client_key.pub" "$work/authorized_keys"
cat > "$work/sshd_config" <<EOF
ListenAddress 127.0.0.1:$port
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PidFile $work/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
MaxSessions 64
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
echo "bench $(cat "$work/host_key.pub")" > "$work/known_hosts"
cat > "$work/ssh_config" <<EOF
Host bench
    HostName 127.0.0.1
    Port $port
    User $(id -un)
    IdentityFile $work/client_key
    IdentitiesOnly yes
    UserKnownHostsFile $work/known_hosts
    StrictHostKeyChecking yes
    HostKeyAlias bench
    BatchMode yes
    LogLevel ERROR
EOF
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd
"$SSHD" -f "$work/sshd_config" -E "$work/sshd.log" || { cat "$work/sshd.log" >&2; exit 1; }
for _ in $(seq 100); do ssh -F "$work/ssh_config" bench true 2>/dev/null && break; sleep 0.1; done
ssh -F "$work/ssh_config" bench true || { echo "sshd did not start" >&2; cat "$work/sshd.log" >&2; exit 1; }
SSH="ssh -F $work/ssh_config"
export IMGTOOL_SSH=$SSH

# proxy NAME [ARGS]: starts the counting proxy in front of sshd; sets PPORT and PCOUNT.
proxy() {
  PCOUNT=$work/$1.count; shift
  rm -f "$PCOUNT"
  python3 "$PROXY" "$port" --count-file "$PCOUNT" "$@" > "$work/proxy.port" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$work/proxy.port" ] && break; sleep 0.05; done
  PPORT=$(head -n 1 "$work/proxy.port"); rm -f "$work/proxy.port"
}
stop_proxy() { kill -9 "${pids[-1]}" 2>/dev/null || true; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }
counted() { cat "$PCOUNT" 2>/dev/null || echo 0; }
