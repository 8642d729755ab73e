#!/bin/bash
# Server CPU per MiB of one HTTP/3 download to gtlsclient (issue #21), on loopback.
#   packages/h3/bench/download-cpu.sh cpu|prof|callgrind [MiB]
# Runs the built `rws` binary (apps/rws-cli/dist; build first) on a temp folder, warms it up,
# then downloads one file of MiB (default 100; 10 is plenty under callgrind) and prints the
# server's CPU ms per MiB from /proc. `prof` also writes a --cpu-prof profile; `callgrind`
# runs the server under valgrind (one file per thread, counters zeroed after the warm-up), and
# prints the instructions of each thread: the main thread's are the stable figure.
# Env QLOGDIR is passed on; CALLGRIND_WARMUPS (default 20) sets the extra warm-ups under valgrind. Needs gtlsclient (Debian ngtcp2-client), openssl, ss, valgrind.
set -eu
MODE=${1:-cpu}
MIB=${2:-100}
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
DIR=$(mktemp -d /tmp/rws-h3-cpu.XXXXXX)
mkdir -p "$DIR/root" "$DIR/dl"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -keyout "$DIR/key.pem" -out "$DIR/cert.pem" -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
head -c $((MIB * 1048576)) /dev/urandom >"$DIR/root/file.bin"
head -c 1048576 /dev/urandom >"$DIR/root/warm.bin"
PORT=$((20000 + RANDOM % 20000))
ARGS=(apps/rws-cli/dist/cli.js --ip 127.0.0.1 --port "$PORT" --root "$DIR/root"
  --tls-cert-file "$DIR/cert.pem" --tls-key-file "$DIR/key.pem")
cd "$REPO"
case $MODE in
  cpu) NODE_ENV=production node "${ARGS[@]}" >"$DIR/server.log" 2>&1 & ;;
  prof) NODE_ENV=production node --cpu-prof --cpu-prof-dir="$DIR" "${ARGS[@]}" >"$DIR/server.log" 2>&1 & ;;
  callgrind) NODE_ENV=production valgrind --tool=callgrind --separate-threads=yes \
    --callgrind-out-file="$DIR/cg.%p" node "${ARGS[@]}" >"$DIR/server.log" 2>&1 & ;;
  *) echo "mode must be cpu, prof or callgrind" >&2; exit 2 ;;
esac
PID=$!
for _ in $(seq 1 600); do ss -lun | grep -q ":$PORT " && break; sleep 0.2; done
sleep 1
# Under valgrind on a busy host a download can stall past gtlsclient's idle (30 s) and handshake (10 s) timeouts.
TIMEOUT=30s
[ "$MODE" = callgrind ] && TIMEOUT=300s
dl() {
  gtlsclient --quiet --exit-on-all-streams-close --timeout="$TIMEOUT" --handshake-timeout="$TIMEOUT" --download="$DIR/dl" 127.0.0.1 "$PORT" \
    "https://localhost:$PORT/$1" >/dev/null 2>&1
}
# Under valgrind the JIT needs a longer warm-up before the counts settle.
for _ in 1 2 3; do dl warm.bin; done
if [ "$MODE" = callgrind ]; then for _ in $(seq 1 "${CALLGRIND_WARMUPS:-20}"); do dl warm.bin; done; fi
cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
[ "$MODE" = callgrind ] && callgrind_control -z "$PID" >/dev/null
C0=$(cpu)
dl file.bin
C1=$(cpu)
[ "$MODE" = callgrind ] && callgrind_control -d "$PID" >/dev/null
cmp -s "$DIR/dl/file.bin" "$DIR/root/file.bin" && STATE=intact || STATE=CORRUPT
TICK_MS=$((1000 / $(getconf CLK_TCK)))
echo "$MIB MiB $STATE; server CPU $(((C1 - C0) * TICK_MS)) ms, $(((C1 - C0) * TICK_MS / MIB)) ms per MiB"
kill -INT "$PID"
wait "$PID" 2>/dev/null || true
if [ "$MODE" = callgrind ]; then
  for f in "$DIR"/cg.*.1-*; do
    echo "thread ${f##*-}: $(($(grep -m1 '^summary' "$f" | awk '{print $2}') / MIB)) instructions per MiB"
  done
fi
echo "files in $DIR"
