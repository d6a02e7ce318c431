#!/usr/bin/env bash
# Runs the chatd benchmarks beside redis-server and nats-server on loopback and writes
# docs/benchmarks.md (table, machine, exact commands).
#
#   bench/run.sh [SCENARIO...]      SCENARIO: fanout latency rooms idle capacity
#                                   capacity-one-room metrics-cost all report
#                                   (default: all; "report" only rewrites docs/benchmarks.md)
#
# Each server runs pinned to one core (BENCH_SERVER_CPU, default 0), chatbench to the other
# (BENCH_GEN_CPU, default 1), each in a session of its own (setsid): with the kernel's autogroup
# scheduling a session shares CPU as one group, and the two must not split one group's share. Every server is started fresh by this script on a free loopback
# port and stopped by its PID when the run (or the script) ends.
#
# Environment:
#   BENCH_SECONDS   measured seconds per load run (default 10; e.g. 3 for a quick pass)
#   BENCH_WARMUP    seconds of load before measuring (default 2)
#   BENCH_REPEAT    load runs per target and scenario, the median is reported (default 1)
#   BENCH_IDLE      idle connections (default 10000), BENCH_IDLE_ROOMS (100)
#   BENCH_CAPACITY  connections held in the capacity runs (default 19000)
#   BENCH_TARGETS   servers for fanout, latency, rooms and idle (default "chatd redis nats")
#   BENCH_CAPACITY_TARGETS  servers for the capacity run (default "chatd"; capacity-one-room
#                   is chatd only)
#   BENCH_ROOM_SHAPES       rooms sweep points, ROOMS:SUBSCRIBERS:PUBLISHERS per room
#                   (default "1:2000:2 10:200:2 100:20:1 1000:2:1")
#   BENCH_METRICS_ROUNDS    metrics-cost: runs with metrics on, and as many off (default 3)
#   BENCH_BUILD_DIR build directory (default build-bench), BENCH_NO_BUILD=1 to skip building,
#   BENCH_NO_INSTALL=1 to skip apt-get, BENCH_NO_DOC=1 to leave docs/benchmarks.md as it is
#   (a comparison of two builds: the figures are in $BUILD/bench-results)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BENCH_BUILD_DIR:-build-bench}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
RESULTS="$BUILD/bench-results"
DOC="$ROOT/docs/benchmarks.md"
SECS=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-2}
REPEAT=${BENCH_REPEAT:-1}
IDLE_N=${BENCH_IDLE:-10000}
IDLE_ROOMS=${BENCH_IDLE_ROOMS:-100}
CAP_N=${BENCH_CAPACITY:-19000}
CAP_TARGETS=${BENCH_CAPACITY_TARGETS:-chatd}
METRICS_ROUNDS=${BENCH_METRICS_ROUNDS:-3}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
GEN_CPU=${BENCH_GEN_CPU:-1}
TARGETS=${BENCH_TARGETS:-chatd redis nats}
ROOM_SHAPES=${BENCH_ROOM_SHAPES:-1:2000:2 10:200:2 100:20:1 1000:2:1}

CHATD="$BUILD/chatd"
CHATBENCH="$BUILD/bench/chatbench"
WORK=$(mktemp -d /tmp/chatbench-run.XXXXXX)
SERVER_PID=""
SERVER_PORT=""

log() { printf '== %s\n' "$*" >&2; }

# --- cleanup: stop only what this script started ------------------------------------------
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- setup ---------------------------------------------------------------------------------
install_missing() {
  [ "${BENCH_NO_INSTALL:-0}" = 1 ] && return 0
  local pkgs="g++ cmake make libasio-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev
    nlohmann-json3-dev libsystemd-dev redis-server nats-server jq util-linux iproute2"
  local missing="" p
  for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  log "installing:$missing"
  local as_root=""
  [ "$(id -u)" -eq 0 ] || as_root=sudo
  $as_root apt-get update
  # shellcheck disable=SC2086  # the package list is meant to split
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y --no-install-recommends $missing
  # The packages enable system services; this script runs its own instances only.
}

build() {
  [ "${BENCH_NO_BUILD:-0}" = 1 ] && return 0
  log "building chatd and chatbench in $BUILD"
  nice cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCHATD_BUILD_TESTS=OFF >/dev/null
  nice cmake --build "$BUILD" --target chatd chatbench -j"$(nproc)"
}

raise_fd_limit() {
  local hard
  hard=$(ulimit -Hn)
  ulimit -n "$hard" 2>/dev/null || true
}

# --- servers -------------------------------------------------------------------------------
port_in_use() { [ -n "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]; }

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((15000 + RANDOM % 17000))   # below the ephemeral range (32768..)
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  echo "no free port found" >&2
  return 1
}

wait_listening() {
  local port=$1 pid=$2
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { echo "server exited at start; its log:" >&2; cat "$WORK/server.log" >&2; return 1; }
    [ -n "$(ss -Htln "( sport = :$port )" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  echo "server did not listen on $port within 10 s" >&2
  return 1
}

chatd_config() {  # file port metrics(on|off)
  local metrics='""'
  [ "$3" = on ] && metrics="127.0.0.1:$(free_port)"
  cat >"$1" <<EOF
# chatd for benchmarks: flood control and connection limits out of the way, no default room.
listen:
  chat: 127.0.0.1:$2
  metrics: $metrics
log:
  level: warn
limits:
  max_connections: 19900
  max_connections_per_ip: 19900
  rate: 1000000
  burst: 1000000
  idle_timeout: 0
  register_timeout: 10m
  max_rooms_per_client: 1000
rooms:
  default: ""
  history_replay: 0
EOF
}

# start_server TARGET [metrics on|off] -> SERVER_PID, SERVER_PORT, SERVER_CMD
start_server() {
  local target=$1 metrics=${2:-on}
  SERVER_PORT=$(free_port)
  case "$target" in
    chatd)
      chatd_config "$WORK/chatd.yaml" "$SERVER_PORT" "$metrics"
      SERVER_CMD="taskset -c $SERVER_CPU ${CHATD#"$ROOT"/} --config chatd.yaml"
      setsid taskset -c "$SERVER_CPU" "$CHATD" --config "$WORK/chatd.yaml" >"$WORK/server.log" 2>&1 &
      ;;
    redis)
      SERVER_CMD="taskset -c $SERVER_CPU redis-server --port $SERVER_PORT --save \"\" --appendonly no --bind 127.0.0.1 --protected-mode no --maxclients 19900"
      setsid taskset -c "$SERVER_CPU" redis-server --port "$SERVER_PORT" --save "" --appendonly no \
        --bind 127.0.0.1 --protected-mode no --maxclients 19900 --logfile "$WORK/server.log" &
      ;;
    nats)
      SERVER_CMD="GOMAXPROCS=1 taskset -c $SERVER_CPU nats-server -a 127.0.0.1 -p $SERVER_PORT"
      GOMAXPROCS=1 setsid taskset -c "$SERVER_CPU" nats-server -a 127.0.0.1 -p "$SERVER_PORT" \
        -l "$WORK/server.log" &
      ;;
  esac
  SERVER_PID=$!
  wait_listening "$SERVER_PORT" "$SERVER_PID"
}

# --- one chatbench run ---------------------------------------------------------------------
# bench SCENARIO TARGET LIMIT_SECONDS [chatbench args...]: appends the JSON line to
# $RESULTS/SCENARIO.jsonl, the summary goes to the terminal, the command to commands.
bench() {
  local scenario=$1 target=$2 limit=$3
  shift 3
  local args=(--target "$target" --port "$SERVER_PORT" --server-pid "$SERVER_PID" "$@")
  printf '%s &\ntaskset -c %s %s %s\n' "$SERVER_CMD" "$GEN_CPU" "${CHATBENCH#"$ROOT"/}" "${args[*]}" \
    >>"$RESULTS/$scenario.commands"
  local label="" a prev=""
  for a in "$@"; do
    [ "$prev" = --label ] && label=$a
    prev=$a
  done
  local rc=0
  timeout -k 5 "$limit" setsid taskset -c "$GEN_CPU" "$CHATBENCH" "${args[@]}" >"$WORK/out.json" || rc=$?
  if [ -s "$WORK/out.json" ]; then
    cat "$WORK/out.json" >>"$RESULTS/$scenario.jsonl"
  else
    jq -cn --arg t "$target" --arg s "$scenario" --arg l "$label" --argjson rc "$rc" \
      '{tool:"chatbench",target:$t,label:$l,ok:false,error:("chatbench exited \($rc) without a result"),scenario:$s}' \
      >>"$RESULTS/$scenario.jsonl"
  fi
  [ "$rc" -eq 0 ] || echo "   (chatbench exit status $rc)" >&2
}

load_limit() { echo $((SECS + WARMUP + 120)); }

fresh() {  # scenario: start its result files anew
  : >"$RESULTS/$1.jsonl"
  : >"$RESULTS/$1.commands"
}

scenario_fanout() {
  fresh fanout
  local i t
  for i in $(seq 1 "$REPEAT"); do
    for t in $TARGETS; do
      log "fan-out: $t (run $i of $REPEAT)"
      start_server "$t"
      bench fanout "$t" "$(load_limit)" --rooms 1 --subscribers 200 --publishers 2 --size 64 \
        --window 128 --warmup "$WARMUP" --duration "$SECS" --label "fanout"
      stop_server
    done
  done
}

scenario_latency() {
  fresh latency
  local i t
  for i in $(seq 1 "$REPEAT"); do
    for t in $TARGETS; do
      log "latency: $t at 200 msg/s per publisher (run $i of $REPEAT)"
      start_server "$t"
      bench latency "$t" "$(load_limit)" --rooms 1 --subscribers 200 --publishers 2 --size 64 \
        --rate 200 --window 128 --warmup "$WARMUP" --duration "$SECS" --label "latency"
      stop_server
    done
  done
}

# The rooms sweep: about 2 000 subscribers in total, spread over more and more rooms. The
# targets of one shape run back to back, so what they are compared with ran close in time.
scenario_rooms() {
  fresh rooms
  local i t shape r subs pubs
  for i in $(seq 1 "$REPEAT"); do
    for shape in $ROOM_SHAPES; do
      IFS=: read -r r subs pubs <<<"$shape"
      for t in $TARGETS; do
        log "rooms: $t, $r room(s) x ($subs subscribers + $pubs publisher(s)) (run $i of $REPEAT)"
        start_server "$t"
        bench rooms "$t" "$(load_limit)" --rooms "$r" --subscribers "$subs" --publishers "$pubs" \
          --size 64 --window 128 --warmup "$WARMUP" --duration "$SECS" --timeout 300 \
          --label "rooms-$r"
        stop_server
      done
    done
  done
}

scenario_idle() {
  fresh idle
  local t
  for t in $TARGETS; do
    log "idle: $t, $IDLE_N connections in $IDLE_ROOMS rooms"
    start_server "$t"
    bench idle "$t" 600 --idle "$IDLE_N" --rooms "$IDLE_ROOMS" --settle 2 --hold 5 \
      --source-addrs 4 --timeout 300 --label "idle"
    stop_server
  done
}

scenario_capacity() {
  fresh capacity
  local t
  for t in $CAP_TARGETS; do
    log "capacity: $t, $CAP_N connections in $IDLE_ROOMS rooms, then one message per room"
    start_server "$t"
    bench capacity "$t" 900 --idle "$CAP_N" --rooms "$IDLE_ROOMS" --settle 2 --hold 5 \
      --verify-fanout --drain 30 --source-addrs 8 --timeout 600 --label "capacity"
    stop_server
  done
}

# Every connection in ONE room. chatd announces joins, parts and quits only in rooms of at most
# rooms.presence_max_members members (default 1000, left at its default here): above that a
# join costs O(1) instead of one event per member, which is what makes this setup linear.
scenario_capacity_one_room() {
  fresh capacity-one-room
  log "capacity-one-room: chatd, $CAP_N connections in one room, then one message to all"
  start_server chatd
  bench capacity-one-room chatd 900 --idle "$CAP_N" --rooms 1 --settle 2 --hold 5 \
    --verify-fanout --drain 30 --source-addrs 8 --timeout 600 --label "capacity-one-room"
  stop_server
}

scenario_metrics_cost() {
  fresh metrics-cost
  local i m
  for i in $(seq 1 "$METRICS_ROUNDS"); do
    for m in on off; do
      log "metrics-cost: chatd fan-out with metrics $m (round $i of $METRICS_ROUNDS)"
      start_server chatd "$m"
      bench metrics-cost chatd "$(load_limit)" --rooms 1 --subscribers 200 --publishers 2 \
        --size 64 --window 128 --warmup "$WARMUP" --duration "$SECS" --label "metrics-$m"
      stop_server
    done
  done
  jq -rs '
    def med: sort | if length == 0 then null else .[(length / 2 | floor)] end;
    (map(select(.label == "metrics-on" and .ok) | .deliveries_per_s)) as $on |
    (map(select(.label == "metrics-off" and .ok) | .deliveries_per_s)) as $off |
    "metrics on:  \($on | map(tostring) | join(" ")) deliveries/s (median \($on | med))",
    "metrics off: \($off | map(tostring) | join(" ")) deliveries/s (median \($off | med))"
  ' "$RESULTS/metrics-cost.jsonl" >&2
}

# --- docs/benchmarks.md --------------------------------------------------------------------
# jq helpers over a scenario's JSON lines: the median of a field for one target.
med() {  # scenario target jq-path
  local f="$RESULTS/$1.jsonl"
  [ -s "$f" ] || { echo null; return; }
  jq -s --arg t "$2" "map(select(.target == \$t and .ok)) | map($3) | sort |
    if length == 0 then null else .[(length / 2 | floor)] end" "$f"
}

fmt_int() {  # 1234567 -> 1 234 567
  [ "$1" = null ] && { echo "—"; return; }
  printf '%s' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\| \)/\1 \2\3/; ta'
}
fmt_us() { [ "$1" = null ] && echo "—" || awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%.2f ms", v / 1000; else printf "%.0f µs", v }'; }
fmt_kib() { [ "$1" = null ] && echo "—" || awk -v v="$1" 'BEGIN { printf "%.2f KiB", v / 1024 }'; }

run_detail_table() {  # scenario
  local f="$RESULTS/$1.jsonl"
  [ -s "$f" ] || return 0
  echo "| target | deliveries/s | per server CPU-second | published/s | p50 | p99 | p99.9 | gaps / reorders / lost | generator CPU | server CPU | server waited for CPU | note |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  jq -r '
    def ms: if . == null then "—" elif . >= 1000 then "\((. / 10 | round) / 100) ms" else "\(. | round) µs" end;
    def pct: if . == null then "—" else "\((. * 100) | round) %" end;
    if .ok then
      "| \(.target) | \(.deliveries_per_s) | \(.deliveries_per_server_cpu_s // "—") | \(.published_per_s) | \(.latency.p50_us | ms) | \(.latency.p99_us | ms) | \(.latency.p999_us | ms) | \(.gaps) / \(.reorders) / \(.lost) | \(.generator.cpu_share | pct) | \(.generator.server_cpu_share | pct) | \(.generator.server_cpu_wait_share | pct) | \(.warning // "") |"
    else
      "| \(.target) | failed | | | | | | | | | | \(.error) |"
    end' "$f"
}

fmt_ratio() { [ "$1" = null ] && echo "—" || echo "${1}x"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null" || b == 0) print "null"; else printf "%.2f", a / b }'; }
better() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null") print b; else if (b == "null") print a; else print (a > b ? a : b) }'; }

write_doc() {
  local cpu kernel nproc mem redis_v nats_v chatd_v
  cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
  kernel=$(uname -sr)
  nproc=$(nproc)
  mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  redis_v=$(redis-server --version 2>/dev/null | sed 's/^Redis server v=\([^ ]*\).*/\1/' || echo "?")
  nats_v=$(nats-server --version 2>/dev/null | sed 's/^nats-server: v//' || echo "?")
  chatd_v=$("$CHATD" --version 2>/dev/null | sed 's/^chatd //' || echo "?")
  local commit
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")

  # Headline figures (medians over the runs of each scenario).
  local f_c f_r f_n f_best f_ratio l_c l_r l_n i_c i_r i_n c_held c_all c_bpc c_n c_rss
  f_c=$(med fanout chatd .deliveries_per_s); f_r=$(med fanout redis .deliveries_per_s)
  f_n=$(med fanout nats .deliveries_per_s)
  f_best=$(better "$f_r" "$f_n"); f_ratio=$(ratio "$f_c" "$f_best")
  local e_c e_r e_n e_ratio
  e_c=$(med fanout chatd .deliveries_per_server_cpu_s); e_r=$(med fanout redis .deliveries_per_server_cpu_s)
  e_n=$(med fanout nats .deliveries_per_server_cpu_s)
  e_ratio=$(ratio "$e_c" "$(better "$e_r" "$e_n")")
  l_c=$(med latency chatd .latency.p99_us); l_r=$(med latency redis .latency.p99_us)
  l_n=$(med latency nats .latency.p99_us)
  i_c=$(med idle chatd .bytes_per_connection_end); i_r=$(med idle redis .bytes_per_connection_end)
  i_n=$(med idle nats .bytes_per_connection_end)
  c_held=$(med capacity chatd .ready); c_all=$(med capacity chatd '.fanout.all')
  c_bpc=$(med capacity chatd .bytes_per_connection); c_n=$(med capacity chatd .connections)
  c_rss=$(med capacity chatd .server_rss_ready_kib)
  local i_conns i_rooms measured warm runs
  i_conns=$(med idle chatd .connections); i_rooms=$(med idle chatd .rooms)
  measured=$(med fanout chatd .measured_s); warm=$(med fanout chatd .warmup_s)
  runs=$( [ -s "$RESULTS/fanout.jsonl" ] && jq -s 'map(select(.target == "chatd")) | length' "$RESULTS/fanout.jsonl" || echo 0)

  local g_fan g_idle g_lat g_cap
  g_fan=$(awk -v r="$f_ratio" 'BEGIN { if (r == "null") print "not run"; else if (r >= 1.5) print "met (" r "x)"; else print "not met (" r "x)" }')
  g_idle=$(awk -v v="$i_c" 'BEGIN { if (v == "null") print "not run"; else if (v <= 2048) print "met"; else print "not met" }')
  g_lat=$(awk -v c="$l_c" -v r="$l_r" 'BEGIN { if (c == "null" || r == "null") print "not run"; else if (c < r) print "met"; else print "not met" }')
  if [ "$c_held" = null ]; then g_cap="not run"
  elif [ "$c_held" -ge 19000 ] && [ "$c_all" = true ]; then g_cap="met"
  else g_cap="not met"; fi
  local cap_text="—"
  if [ "$c_held" != null ]; then
    cap_text="$(fmt_int "$c_held") of $(fmt_int "$c_n") held; fan-out to all: $c_all; RSS $(fmt_int "$c_rss") KiB, $(fmt_kib "$c_bpc")/conn"
  fi

  {
    cat <<'EOF'
# Benchmarks

chatd's design point is one thread serving thousands of clients. These benchmarks measure it
beside what a user would otherwise pick for chat-style fan-out, Redis pub/sub (`redis-server`)
and NATS (`nats-server`), with the same load generator, on the same machine, in the same run.

This file is written by `bench/run.sh` (rerun it to reproduce); only the "Notes" section at
the end is kept by hand.

## How it is measured

`bench/chatbench` (built with the project, `cmake --build build --target chatbench`) is a
single-threaded Asio load generator. It speaks chatd's JSON mode, Redis RESP pub/sub and the
NATS text protocol through the same code path (one adapter per protocol, see `bench/protocol_*.cpp`):

| | chatd | redis-server | nats-server |
|---|---|---|---|
| subscriber | `/format json`, `/nick`, `/join ROOM`; ready on the join ok | `SUBSCRIBE channel`; ready on its confirmation | `CONNECT`, `SUB subject sid`, `PING`; ready on the PONG |
| publisher | joins the room too (a chatd client must be a member to speak), then sends plain lines | `PUBLISH channel payload` | `PUB subject n` |
| publish acknowledged by | the `ok` `say` reply (carries the room seq) | PUBLISH's integer reply | a `PING` after each batch of publishes; its PONG acknowledges the batch |
| order checked with | the room `seq` of every `msg` | a per-publisher sequence number in the payload | the same |

- **Shape:** R rooms x S subscribers + P publishers per room (`--rooms --subscribers --publishers`).
  On chatd the publishers are room members, so each also receives the other publishers' messages;
  those deliveries are counted apart (`publisher_deliveries`) and are **not** in deliveries/s, which
  counts only subscriber deliveries on every target (so chatd does a little more work per message).
- **Payload:** `--size` bytes of text (64 here) carrying the steady-clock send time in ns, the
  publisher id and its sequence number in fixed-width hex, padded with `x`.
- **Load:** unlimited (each publisher keeps `--window` = 128 publishes unacknowledged, refilled after
  every read) or a fixed `--rate` per publisher (schedules spread evenly over the publishers).
- **Latency:** receive time minus the send time in the payload, same clock, one clock read per read
  call; recorded at every subscriber during the measured window only, in an HDR-style histogram
  (< 0.4 % bucket error).
- **Window:** `--warmup` seconds of load, then `--duration` measured seconds, then publishing stops
  and up to `--drain` seconds are allowed for everything published to arrive. `lost` counts
  messages published but not received by the end; `gaps`/`reorders` come from the sequence numbers.
- **Generator check:** chatbench reports its own CPU time (getrusage) over the measured window as a
  share of one core, and warns "generator may be the bottleneck" at 90 % or more. It also reads the
  server's CPU time and VmRSS from `/proc/PID` (`--server-pid`).
- **Idle / capacity:** `--idle N --rooms R` opens N registered connections spread round-robin over R
  rooms (sources spread over 127.0.0.1..127.0.0.k so no address runs out of ephemeral ports), at
  most 256 being set up at once, waits until every one is joined/subscribed, waits `--settle`
  seconds, reads the server's VmRSS, holds them for `--hold` seconds and reads it again. RSS
  growth per connection is (RSS - RSS before the first connect) / N on a freshly started server;
  the table's headline uses the reading after the hold (Redis trims idle clients' buffers in
  its periodic cron, so its figure falls during the first seconds).
  `--verify-fanout` then connects one more client that publishes one message in every room (on
  chatd: joins every room and says it in each) and checks that every one of the N connections
  receives it.
- **Output:** one JSON line on stdout per run (kept in `build-bench/bench-results/*.jsonl`) and a
  human summary on stderr. Exit status 2 means the run failed (for instance an error line from
  chatd, or a refused connection), 3 that a capacity fan-out did not reach everyone.

**Servers.** Each run starts a fresh server on a free loopback port, pinned with `taskset` to one
core; chatbench runs pinned to the other. redis-server runs with persistence off, nats-server with
`GOMAXPROCS=1` (Go would otherwise spread over both cores). chatd runs with the configuration below,
which moves flood control and the per-address limit out of the way (the benchmark clients send far
more than 10 messages/s each, all from loopback), turns off the default room (so the benchmark
rooms are the only load) and logs at `warn`; its other limits, the 1 MiB outbound queue per client
included, are the defaults. The metrics endpoint is on, as by default, except in the metrics-cost
runs with metrics off.

```yaml
listen: {chat: 127.0.0.1:PORT, metrics: 127.0.0.1:PORT2}   # metrics: "" in the metrics-off runs
log: {level: warn}
limits: {max_connections: 19900, max_connections_per_ip: 19900, rate: 1000000, burst: 1000000,
         idle_timeout: 0, register_timeout: 10m, max_rooms_per_client: 1000}
rooms: {default: "", history_replay: 0}
```

**Reading the numbers.** The machine is small and may be shared: a busy second core slows the
generator and the servers alike. Compare the targets within one run (that is what the goals
are about), not against figures from another day, and look at the CPU columns: a server below
~90 % of its core during an unlimited run was waiting on something (the generator, the
scheduler, or its own latency), not computing.

EOF
    echo "## Results"
    echo
    echo "Last written $(date -u '+%Y-%m-%d %H:%M UTC') from commit $commit. Figures are medians over the runs"
    echo "of each target ($runs fan-out run(s) per target, $measured s measured after $warm s of warmup each)."
    echo
    echo "| scenario | measure | chatd | redis-server | nats-server | goal for chatd | result |"
    echo "|---|---|---|---|---|---|---|"
    echo "| fan-out: 1 room, 200 subscribers, 2 publishers, 64-byte text, unlimited | deliveries/s | $(fmt_int "$f_c") | $(fmt_int "$f_r") | $(fmt_int "$f_n") | ≥ 1.5x the better of redis and nats | $g_fan |"
    echo "| fan-out, same runs | deliveries per second of server CPU time | $(fmt_int "$e_c") | $(fmt_int "$e_r") | $(fmt_int "$e_n") | (not a goal: throughput per core, steadier on a busy machine) | $(fmt_ratio "$e_ratio") |"
    echo "| idle: $(fmt_int "$i_conns") registered connections in $i_rooms rooms | server RSS growth / connection (after the hold) | $(fmt_kib "$i_c") | $(fmt_kib "$i_r") | $(fmt_kib "$i_n") | ≤ 2 KiB | $g_idle |"
    echo "| latency: fan-out shape at 200 msg/s per publisher | p99 | $(fmt_us "$l_c") | $(fmt_us "$l_r") | $(fmt_us "$l_n") | below redis-server | $g_lat |"
    echo "| capacity: $(fmt_int "$c_n") connections, one message per room to all | held, RSS, per connection | $cap_text | | | 19 000 held, fan-out reaches all | $g_cap |"
    echo
    if [ -s "$RESULTS/fanout.jsonl" ]; then
      echo "### Fan-out runs"
      echo
      run_detail_table fanout
      echo
    fi
    if [ -s "$RESULTS/latency.jsonl" ]; then
      echo "### Latency runs (200 msg/s per publisher, 80 000 deliveries/s offered)"
      echo
      run_detail_table latency
      echo
    fi
    if [ -s "$RESULTS/idle.jsonl" ]; then
      local settle_s hold_s
      settle_s=2; hold_s=$(med idle chatd .held_s)
      echo "### Idle runs"
      echo
      echo "| target | connections ready | setup | RSS before | RSS all ready (+${settle_s} s) | growth / connection | RSS after the hold (+${hold_s} s) | growth / connection |"
      echo "|---|---|---|---|---|---|---|---|"
      jq -r 'if .ok then "| \(.target) | \(.ready) of \(.connections) | \(.setup_s) s | \(.server_rss_before_kib) KiB | \(.server_rss_ready_kib) KiB | \(.bytes_per_connection | round) bytes | \(.server_rss_end_kib) KiB | \(.bytes_per_connection_end | round) bytes |" else "| \(.target) | failed: \(.error) | | | | | | |" end' "$RESULTS/idle.jsonl"
      echo
    fi
    if [ -s "$RESULTS/capacity.jsonl" ]; then
      echo "### Capacity runs"
      echo
      echo "| target | connections ready | setup | RSS all ready | growth / connection | fan-out received | last receipt after |"
      echo "|---|---|---|---|---|---|---|"
      jq -r 'if .ok then "| \(.target) | \(.ready) of \(.connections) | \(.setup_s) s | \(.server_rss_ready_kib) KiB | \(.bytes_per_connection | round) bytes | \(.fanout.delivered) of \(.fanout.expected) | \((.fanout.latency.max_us / 1000 * 10 | round) / 10) ms |" else "| \(.target) | failed: \(.error) | | | | | |" end' "$RESULTS/capacity.jsonl"
      echo
    fi
    if [ -s "$RESULTS/metrics-cost.jsonl" ]; then
      echo "### chatd fan-out with the metrics endpoint on and off"
      echo
      echo "Alternating runs, same shape as the fan-out scenario."
      echo
      echo "| run | metrics | deliveries/s | p99 | server CPU |"
      echo "|---|---|---|---|---|"
      jq -rs 'to_entries[] | .key as $k | .value | if .ok then "| \($k + 1) | \(.label | sub("metrics-"; "")) | \(.deliveries_per_s) | \((.latency.p99_us / 10 | round) / 100) ms | \(((.generator.server_cpu_share // 0) * 100) | round) % |" else "| \($k + 1) | \(.label) | failed: \(.error) | | |" end' "$RESULTS/metrics-cost.jsonl"
      local on off
      on=$(jq -s 'map(select(.label == "metrics-on" and .ok) | .deliveries_per_s) | sort | if length == 0 then null else .[(length / 2 | floor)] end' "$RESULTS/metrics-cost.jsonl")
      off=$(jq -s 'map(select(.label == "metrics-off" and .ok) | .deliveries_per_s) | sort | if length == 0 then null else .[(length / 2 | floor)] end' "$RESULTS/metrics-cost.jsonl")
      echo
      echo "Median deliveries/s: metrics on $(fmt_int "$on"), off $(fmt_int "$off") (on/off = $(ratio "$on" "$off"))."
      echo
    fi
    echo "## Machine"
    echo
    echo "- CPU: $cpu, $nproc cores (server on core $SERVER_CPU, chatbench on core $GEN_CPU); memory $mem"
    echo "- Kernel: $kernel; fd limit (hard) $(ulimit -Hn); ephemeral ports $(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range)"
    echo "- Load average when the report was written: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- chatd $chatd_v (Release build), redis-server $redis_v, nats-server $nats_v"
    echo
    echo "## Commands"
    echo
    echo "Reproduce everything with \`bench/run.sh all\` (or one scenario: \`bench/run.sh fanout\`;"
    echo "\`BENCH_SECONDS=3 bench/run.sh all\` for a quick pass). The runs behind the figures above:"
    echo
    echo '```sh'
    local s
    for s in fanout latency rooms idle capacity capacity-one-room metrics-cost; do
      [ -s "$RESULTS/$s.commands" ] || continue
      echo "# $s"
      cat "$RESULTS/$s.commands"
    done
    echo '```'
    # A hand-written "## Notes" section at the end of the old file is kept.
    if [ -f "$DOC" ] && grep -q '^## Notes' "$DOC"; then
      echo
      awk '/^## Notes/ { keep = 1 } keep' "$DOC"
    fi
  } >"$DOC.tmp"
  mv "$DOC.tmp" "$DOC"
  log "wrote $DOC"
}

# --- main ----------------------------------------------------------------------------------
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(all)
for s in "${scenarios[@]}"; do
  case "$s" in
    fanout|latency|rooms|idle|capacity|capacity-one-room|metrics-cost|all|report) ;;
    *) echo "usage: $0 [fanout|latency|rooms|idle|capacity|capacity-one-room|metrics-cost|all|report]..." >&2
       exit 2 ;;
  esac
done

if [ "${scenarios[*]}" != report ]; then
  install_missing
  build
  raise_fd_limit
fi
mkdir -p "$RESULTS"
log "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
for s in "${scenarios[@]}"; do
  case "$s" in
    fanout) scenario_fanout ;;
    latency) scenario_latency ;;
    rooms) scenario_rooms ;;
    idle) scenario_idle ;;
    capacity) scenario_capacity ;;
    capacity-one-room) scenario_capacity_one_room ;;
    metrics-cost) scenario_metrics_cost ;;
    all)
      scenario_fanout; scenario_latency; scenario_rooms; scenario_idle; scenario_capacity
      scenario_capacity_one_room; scenario_metrics_cost ;;
    report) ;;
  esac
done
[ "${BENCH_NO_DOC:-0}" = 1 ] || write_doc
