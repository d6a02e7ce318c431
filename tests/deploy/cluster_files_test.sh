#!/usr/bin/env bash
# Checks deploy/cluster/ offline, without a Docker daemon, a network or the compose hosts:
#   1. `docker-compose config -q` of compose.yaml (compose v1 reads and validates the file
#      alone; any warning it prints counts as a failure).
#   2. `promtool check config` of prometheus.yml.
#   3. `haproxy -c` of haproxy.cfg in a network namespace of its own, so that resolving the
#      compose service names can neither succeed nor send a query anywhere.
#      `haproxy -c` only warns about a server it cannot resolve, where a real start fails,
#      so step 5 also wants `init-addr ...,none`. Any other warning fails.
#   4. `nats-server -t` of each nats-N.conf, `chatd --check-config` of each chatd-N.yaml.
#   5. The files agree: HAProxy's servers and Prometheus' targets are the chatd services at the
#      ports their configs listen on, the nodes' cluster.nats are the NATS services, the NATS
#      routes join those services, and each service mounts the file that was checked.
# Usage: cluster_files_test.sh SOURCE_DIR CHATD_BINARY
set -u
[ $# -eq 2 ] || { echo "usage: $0 SOURCE_DIR CHATD_BINARY" >&2; exit 2; }
src=$1; chatd=$2
dir=$src/deploy/cluster

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

missing=""
for tool in docker-compose:docker-compose promtool:prometheus haproxy:haproxy \
            nats-server:nats-server; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool#*:}"
done
[ -z "$missing" ] || { echo "FAIL: missing tools (apt-get install$missing)"; exit 1; }
[ -x "$chatd" ] || { echo "FAIL: no chatd binary at $chatd"; exit 1; }
[ -f "$dir/compose.yaml" ] || { echo "FAIL: no deploy/cluster/compose.yaml"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/chatd-cluster-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# A new network namespace holds only a loopback device: a name lookup fails at once there, and
# nothing leaves the machine. unshare -r makes it work without root where user namespaces are on.
netns=""
if unshare -rn true 2>/dev/null; then netns="unshare -rn"
elif unshare -n true 2>/dev/null; then netns="unshare -n"
fi
offline() {
  if [ -n "$netns" ]; then
    $netns sh -c 'ip link set lo up 2>/dev/null; exec "$@"' sh "$@"
  else
    "$@"
  fi
}

echo "== docker-compose -f deploy/cluster/compose.yaml config -q"
# COMPOSE_* from the caller's shell would change what is read; the file must stand alone.
compose() {
  offline env -u COMPOSE_FILE -u COMPOSE_PROJECT_NAME -u COMPOSE_PROFILES \
    docker-compose -f "$dir/compose.yaml" "$@"
}
if compose config -q >"$tmp/compose.out" 2>"$tmp/compose.err" && [ ! -s "$tmp/compose.err" ] &&
   compose config >"$tmp/compose.resolved.yaml" 2>/dev/null; then
  ok "compose.yaml is valid ($(docker-compose version --short 2>/dev/null))"
else
  cat "$tmp/compose.out" "$tmp/compose.err"
  fail "docker-compose config rejected compose.yaml (or warned)"
fi

echo "== promtool check config deploy/cluster/prometheus.yml"
if out=$(promtool check config "$dir/prometheus.yml" 2>&1); then
  ok "prometheus.yml is valid"
else
  printf '%s\n' "$out"
  fail "promtool check config rejected prometheus.yml"
fi

echo "== haproxy -c -f deploy/cluster/haproxy.cfg"
cfg=$dir/haproxy.cfg
if [ -z "$netns" ]; then
  # No namespace here: the same file with every lookup at start turned off, so that the check
  # still sends no query for the compose names.
  echo "note: no network namespace available; checking with init-addr none"
  sed 's/init-addr[[:space:]][^[:space:]]*/init-addr none/' "$cfg" >"$tmp/haproxy.cfg"
  cfg=$tmp/haproxy.cfg
fi
out=$(offline haproxy -c -f "$cfg" 2>&1); rc=$?
# The compose names resolve only inside the compose network; every other warning is a mistake.
unexpected=$(printf '%s\n' "$out" | grep -E '\[(WARNING|ALERT)\]' |
  grep -vE "could not resolve address '[^']+', disabling server|can't connect socket for nameserver")
if [ $rc -ne 0 ] || [ -n "$unexpected" ]; then
  printf '%s\n' "$out"
  fail "haproxy -c rejected haproxy.cfg (rc=$rc) or warned about more than the unresolved servers"
else
  ok "haproxy.cfg is valid and starts without resolving the compose names"
fi

echo "== nats-server -t of each deploy/cluster/nats-*.conf"
for conf in "$dir"/nats-*.conf; do
  [ -e "$conf" ] || { fail "no deploy/cluster/nats-*.conf"; break; }
  if msg=$(offline nats-server -t -c "$conf" 2>&1); then
    ok "${conf#"$src"/}: valid"
  else
    printf '%s\n' "$msg"
    fail "${conf#"$src"/}: nats-server -t rejected it"
  fi
done

echo "== chatd --check-config of each deploy/cluster/chatd-*.yaml"
for conf in "$dir"/chatd-*.yaml; do
  [ -e "$conf" ] || { fail "no deploy/cluster/chatd-*.yaml"; break; }
  if msg=$("$chatd" --config "$conf" --check-config 2>&1); then
    ok "${conf#"$src"/}: $msg"
  else
    fail "${conf#"$src"/}: $msg"
  fi
done

echo "== compose.yaml, haproxy.cfg, prometheus.yml and the node configs agree"
# The interpreter that runs docker-compose has PyYAML, which compose itself needs.
py=$(sed -n '1s/^#![[:space:]]*//p' "$(command -v docker-compose)" | awk '{print $1}')
if [ ! -s "$tmp/compose.resolved.yaml" ]; then
  fail "no resolved compose file to compare with (see the compose check above)"
elif [ -z "$py" ] || ! "$py" -c 'import yaml' 2>/dev/null; then
  fail "no Python with PyYAML beside docker-compose ('$py')"
else
  "$py" - "$dir" "$tmp/compose.resolved.yaml" <<'EOF'
import os, re, sys, yaml

cluster_dir, resolved = sys.argv[1], sys.argv[2]
failures = 0
def ok(msg): print("ok: " + msg)
def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg)
def load(name):
    with open(os.path.join(cluster_dir, name)) as f:
        return yaml.safe_load(f) if name.endswith((".yaml", ".yml")) else f.read()
def host_port(text):
    m = re.fullmatch(r"(?:[a-z-]+://)?\[?([^\]]*)\]?:(\d+)", str(text))
    return (m.group(1), int(m.group(2))) if m else (None, None)

with open(resolved) as f:
    services = yaml.safe_load(f)["services"]
with open(resolved) as f:
    named_volumes = set((yaml.safe_load(f).get("volumes") or {}).keys())

def mounts(svc):
    """target -> source, from compose's resolved short syntax SOURCE:TARGET[:MODE]."""
    out = {}
    for v in services[svc].get("volumes") or []:
        parts = v.split(":") if isinstance(v, str) else [v.get("source"), v.get("target")]
        if len(parts) >= 2:
            out[parts[1]] = parts[0]
    return out
def mounted_file(svc, target):
    source = mounts(svc).get(target)
    if source is None:
        fail(f"service {svc} mounts nothing at {target}")
        return None
    if os.path.dirname(source) != os.path.realpath(cluster_dir) or not os.path.isfile(source):
        fail(f"service {svc} mounts {source} at {target}, not a file of deploy/cluster/")
        return None
    return os.path.basename(source)

# The roles, by what each service runs.
chatd = {s: mounted_file(s, "/etc/chatd/chatd.yaml") for s, d in services.items()
         if d.get("build") or str(d.get("image", "")).startswith("chatd")}
nats = {s: mounted_file(s, "/etc/nats/nats.conf") for s, d in services.items()
        if str(d.get("image", "")).startswith("nats:")}
haproxy = [s for s, d in services.items() if str(d.get("image", "")).startswith("haproxy:")]
prom = [s for s, d in services.items() if str(d.get("image", "")).startswith("prom/prometheus")]
print(f"chatd nodes {sorted(chatd)}, NATS servers {sorted(nats)}, balancer {haproxy}, "
      f"Prometheus {prom}")
if len(chatd) < 2: fail("fewer than two chatd services")
if len(nats) != 3: fail(f"{len(nats)} NATS services, want 3")
if len(haproxy) != 1: fail("want exactly one haproxy service")
if len(prom) != 1: fail("want exactly one prometheus service")

# Every node config and NATS config in the folder is one a service uses: none is stale.
for pattern, used in ((r"chatd-.*\.yaml", chatd), (r"nats-.*\.conf", nats)):
    for name in sorted(os.listdir(cluster_dir)):
        if re.fullmatch(pattern, name) and name not in used.values():
            fail(f"deploy/cluster/{name} is mounted by no service")

# NATS: a file store in a named volume, routes between exactly these services.
nats_client_port, nats_names = {}, {}
for svc, conf_name in sorted(nats.items()):
    if not conf_name: continue
    conf = load(conf_name)
    cmd = services[svc].get("command") or []
    if "/etc/nats/nats.conf" not in cmd:
        fail(f"{svc}: command {cmd} does not load /etc/nats/nats.conf")
    name = re.search(r"^\s*server_name:\s*(\S+)", conf, re.M)
    nats_names[svc] = name.group(1) if name else None
    port = re.search(r"^port:\s*(\d+)", conf, re.M)
    nats_client_port[svc] = int(port.group(1)) if port else 4222
    store = re.search(r"store_dir:\s*\"?([^\s\"]+)", conf)
    if not store:
        fail(f"{conf_name}: no jetstream store_dir")
    elif mounts(svc).get(store.group(1)) not in named_volumes:
        fail(f"{svc}: JetStream's store_dir {store.group(1)} is not a named volume")
    else:
        ok(f"{svc}: JetStream store {store.group(1)} in volume {mounts(svc)[store.group(1)]}")
    listen = re.search(r"cluster\s*\{[^}]*?listen:\s*(\S+)", conf, re.S)
    route_port = host_port(listen.group(1))[1] if listen else None
    routes = {host_port(r) for r in re.findall(r"nats-route://\S+", conf)}
    want = {(other, route_port) for other in nats if other != svc}
    if routes - {(svc, route_port)} == want:
        ok(f"{conf_name}: routes to {sorted(h for h, _ in want)} on port {route_port}")
    else:
        fail(f"{conf_name}: routes {sorted(routes)}, want the other NATS services {sorted(want)}")
if len(set(nats_names.values())) != len(nats_names) or None in nats_names.values():
    fail(f"NATS server_name missing or not unique: {nats_names}")

# chatd nodes: reachable listeners, the NATS services, unique node names.
listen_ports, nodes = {}, {}
for svc, conf_name in sorted(chatd.items()):
    if not conf_name: continue
    cfg = load(conf_name) or {}
    listen, cluster = cfg.get("listen") or {}, cfg.get("cluster") or {}
    chat, metrics = host_port(listen.get("chat", "")), host_port(listen.get("metrics", ""))
    for key, (host, port) in (("listen.chat", chat), ("listen.metrics", metrics)):
        if host not in ("0.0.0.0", "::") or port is None:
            fail(f"{conf_name}: {key} must bind every interface for the other containers")
    listen_ports[svc] = (chat[1], metrics[1])
    urls = cluster.get("nats") or []
    urls = urls.split(",") if isinstance(urls, str) else urls
    got = {host_port(u.strip()) for u in urls}
    want = {(s, nats_client_port.get(s)) for s in nats}
    if got == want:
        ok(f"{conf_name}: cluster.nats is the NATS services {sorted(nats)}")
    else:
        fail(f"{conf_name}: cluster.nats {sorted(got)}, want {sorted(want)}")
    nodes[svc] = cluster.get("node")
    replicas = cluster.get("replicas", 3)
    if not isinstance(replicas, int) or replicas > len(nats):
        fail(f"{conf_name}: cluster.replicas {replicas} exceeds the {len(nats)} NATS servers")
if len(set(nodes.values())) != len(nodes) or None in nodes.values():
    fail(f"cluster.node missing or not unique: {nodes}")
else:
    ok(f"cluster.node unique: {nodes}")

# HAProxy: one server per chatd service, named after it, at its chat port, checked on its
# metrics port; the service mounts this haproxy.cfg and publishes its bind port.
cfg = load("haproxy.cfg")
code = "\n".join(line.split("#", 1)[0] for line in cfg.splitlines())
for svc in haproxy:
    if mounted_file(svc, "/usr/local/etc/haproxy/haproxy.cfg") != "haproxy.cfg":
        fail(f"{svc} does not run deploy/cluster/haproxy.cfg")
servers = {}
for line in code.splitlines():
    words = line.split()
    if len(words) >= 3 and words[0] == "server":
        name, (host, port) = words[1], host_port(words[2])
        check_port = int(words[words.index("port") + 1]) if "port" in words[3:] else port
        servers[name] = (host, port, check_port, "check" in words[3:])
for name, (host, port, check_port, checked) in sorted(servers.items()):
    if name != host or host not in chatd:
        fail(f"haproxy.cfg: server {name} {host}:{port} is not named after a chatd service")
    elif (port, check_port) != listen_ports.get(host):
        fail(f"haproxy.cfg: server {name} at {port}, checked on {check_port}; "
             f"{chatd[host]} listens on chat {listen_ports.get(host, (None,))[0]}, "
             f"metrics {listen_ports.get(host, (None, None))[1]}")
    elif not checked:
        fail(f"haproxy.cfg: server {name} has no health check")
    else:
        ok(f"haproxy.cfg: server {name} -> {host}:{port}, /healthz on {check_port}")
for svc in sorted(set(chatd) - set(servers)):
    fail(f"haproxy.cfg has no server for the chatd service {svc}")
for want in (r"option\s+httpchk\s+GET\s+/healthz", r"http-check\s+expect\s+status\s+200",
             r"init-addr\s+(\S+,)?none\b"):
    if not re.search(want, code):
        fail(f"haproxy.cfg lacks /{want}/")
# A draining node (SIGUSR2: 503 `draining`) must be out within a few seconds of its
# limits.drain_period: its check interval times its fall count.
def ms(v):
    m = re.fullmatch(r"(\d+)(ms|s)?", v)
    return int(m.group(1)) * (1 if m.group(2) == "ms" else 1000) if m else None
defaults = re.search(r"^\s*default-server\s+(.*)$", code, re.M)
words = defaults.group(1).split() if defaults else []
inter = ms(words[words.index("inter") + 1]) if "inter" in words else 2000
fall = int(words[words.index("fall") + 1]) if "fall" in words else 3
if inter is None or inter * fall > 2000:
    fail(f"haproxy.cfg: a 503 node is taken out only after inter x fall = {inter} ms x {fall}; "
         "want at most 2 s")
else:
    ok(f"haproxy.cfg: a 503 node is out within {inter * fall} ms")
binds = {int(p) for p in re.findall(r"^\s*bind\s+\S*:(\d+)", code, re.M)}
for svc in haproxy:
    published = {int(str(p).split(":")[-1].split("/")[0]) for p in services[svc].get("ports") or []}
    chat_ports = {p for p, _ in listen_ports.values()}
    if not chat_ports <= binds or not chat_ports <= published:
        fail(f"{svc}: chat port {sorted(chat_ports)} not both bound ({sorted(binds)}) and "
             f"published ({sorted(published)})")

# Prometheus: scrapes each chatd service's metrics port, and runs this prometheus.yml.
for svc in prom:
    flags = [str(c) for c in services[svc].get("command") or []]
    path = next((f.split("=", 1)[1] for f in flags if f.startswith("--config.file=")),
                "/etc/prometheus/prometheus.yml")
    if mounted_file(svc, path) != "prometheus.yml":
        fail(f"{svc} does not run deploy/cluster/prometheus.yml")
targets = {host_port(t) for job in load("prometheus.yml").get("scrape_configs") or []
           for sc in job.get("static_configs") or [] for t in sc.get("targets") or []}
want = {(svc, ports[1]) for svc, ports in listen_ports.items()}
if targets == want:
    ok(f"prometheus.yml scrapes {sorted(f'{h}:{p}' for h, p in targets)}")
else:
    fail(f"prometheus.yml targets {sorted(targets)}, want the chatd services {sorted(want)}")

# The count of failures, for the summary below.
sys.exit(min(failures, 100))
EOF
  n=$?
  [ $n -eq 0 ] && ok "the files agree" || failures=$((failures + n))
fi

if [ $failures -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all cluster file checks passed"
