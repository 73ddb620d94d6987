#!/usr/bin/env bash
# Egress proxy against plain NAT (iptables MASQUERADE on the same container), in one
# run: HTTPS latency on new connections (p50/p99 of 1,000 per round), new TLS
# connections per second (wrk, Connection: close, 10 s) and a 100 MB HTTPS download,
# NAT and proxy alternating for BENCH_ROUNDS rounds (default 3), for the role's
# defaults, egress_proxy_peek_server_hello and workers 2; then, with the defaults, what
# another client gets while one client holds 5,000 idle connections, and the share of
# 200 HTTP and 200 HTTPS requests that pass to a name whose DNS rotates (one of four
# addresses per query, egress_proxy_dns_enabled). Prints medians and
# the ratios; asserts nothing. Containers and networks are named bench-egress-* and removed.
# BENCH_METHOD=source builds Squid from the tarball instead of Debian 13's package.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../scripts/lib.sh
source "$ROOT/scripts/lib.sh"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$ROOT/.state/collections}"
export ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=0
IMAGE=ironclad/debian:13
P=bench-egress
OUT=$(mktemp -d)

remove() {
  docker rm -f "$P-client" "$P-proxy" "$P-origin" >/dev/null 2>&1 || true
  docker network rm "$P-clients" "$P-origins" >/dev/null 2>&1 || true
}
trap 'remove; rm -rf "$OUT"' EXIT
remove

run() { # name network ip [extra docker args]
  local name=$1 net=$2 ip=$3; shift 3
  docker run -d --name "$name" --hostname "${name#"$P"-}" --network "$net" --ip "$ip" \
    --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined \
    -v /sys/fs/cgroup:/sys/fs/cgroup:ro --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
    --stop-signal SIGRTMIN+3 --label owner=ironclad-bench \
    --add-host www.allowed.test:10.218.2.10 "$@" "$IMAGE" /lib/systemd/systemd >/dev/null
}
x() { local c=$1; shift; docker exec "$P-$c" bash -c "$*"; }

say "containers"
# Subnets of their own: the lab (10.214.0.0/24, 10.214.1.0/24) and every scenario have theirs:
# Docker refuses a second network on a subnet in use.
docker network create --subnet 10.218.1.0/24 --label owner=ironclad-bench "$P-clients" >/dev/null
docker network create --subnet 10.218.2.0/24 --label owner=ironclad-bench "$P-origins" >/dev/null
run "$P-origin" "$P-origins" 10.218.2.10
run "$P-proxy" "$P-origins" 10.218.2.2 --sysctl net.ipv4.ip_forward=1
docker network connect --ip 10.218.1.2 "$P-clients" "$P-proxy"
run "$P-client" "$P-clients" 10.218.1.10
for c in origin proxy client; do
  for _ in $(seq 60); do
    x "$c" 'systemctl is-system-running --wait' >/dev/null 2>&1 && break
    sleep 1
  done
done

say "origin (nginx, its own self-signed certificate) and client tools"
x origin 'apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y nginx-light >/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=www.allowed.test \
    -addext subjectAltName=DNS:www.allowed.test,DNS:pool.allowed.test -keyout /etc/nginx/origin.key -out /etc/nginx/origin.crt 2>/dev/null
  head -c 100M /dev/urandom > /var/www/html/100M; echo ok > /var/www/html/small
  cat > /etc/nginx/sites-enabled/default <<NGINX
server {
  listen 80 default_server; listen 443 ssl default_server;
  ssl_certificate /etc/nginx/origin.crt; ssl_certificate_key /etc/nginx/origin.key;
  root /var/www/html; access_log off;
}
NGINX
  systemctl restart nginx'
docker cp "$P-origin:/etc/nginx/origin.crt" "$OUT/origin.crt"
docker cp "$OUT/origin.crt" "$P-client:/etc/origin.crt"
x client 'apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y wrk >/dev/null
  ip route replace default via 10.218.1.2'

say "proxy (the egress_proxy role)"
mirror=$(debian_mirror)
cat > "$OUT/inventory.yml" <<INV
all:
  hosts:
    $P-proxy:
      ansible_connection: community.docker.docker
      egress_proxy_source_url: $mirror/pool/main/s/squid/squid_6.13.orig.tar.xz
INV
configure() { ansible-playbook -i "$OUT/inventory.yml" benchmarks/bench_egress_proxy.yml >"$OUT/ansible.log" 2>&1 \
  || { tail -40 "$OUT/ansible.log"; die "the role failed"; }; }
configure

nat_mode() {
  x proxy 'systemctl stop egress-proxy-firewall
    iptables -t nat -C POSTROUTING -s 10.218.1.0/24 -j MASQUERADE 2>/dev/null ||
      iptables -t nat -A POSTROUTING -s 10.218.1.0/24 -j MASQUERADE'
}
proxy_mode() {
  x proxy 'iptables -t nat -D POSTROUTING -s 10.218.1.0/24 -j MASQUERADE 2>/dev/null || true
    systemctl start egress-proxy-firewall'
}

URL=https://www.allowed.test
ROUNDS=${BENCH_ROUNDS:-3}
sample() { # mode -> appends one round's samples of that mode to $OUT/<mode>.*
  local mode=$1
  # Every request on a new connection with a full handshake: what a new client pays.
  x client "for i in \$(seq 1000); do echo \"url = $URL/small\"; echo 'output = /dev/null'; done > /tmp/urls
    curl -sS --cacert /etc/origin.crt --no-sessionid -H 'Connection: close' -w '%{time_total}\n' -K /tmp/urls" \
    >> "$OUT/$mode.lat"
  x client "wrk -t2 -c32 -d10s -H 'Connection: close' $URL/small" | awk '/Requests\/sec/ { print $2 }' >> "$OUT/$mode.rate"
  x client "curl -sS --cacert /etc/origin.crt -o /dev/null -w '%{speed_download}\n' $URL/100M" >> "$OUT/$mode.tput"
}
# NAT and the proxy alternate round by round, so drift on this shared machine hits both.
compare() { # variant label
  local label=$1
  rm -f "$OUT"/nat-"$label".* "$OUT"/"$label".*
  for round in $(seq "$ROUNDS"); do
    say "  $label: round $round of $ROUNDS"
    nat_mode; sample "nat-$label"
    proxy_mode; sample "$label"
  done
  echo "$label" >> "$OUT/variants"
}

say "measuring: the role's defaults (splice at step 2)"
proxy_mode
x client "curl -sS --cacert /etc/origin.crt $URL/small >/dev/null" || die "the proxy does not pass allowed HTTPS"
compare proxy
say "measuring: another client while one client holds 5,000 idle connections"
# The flood comes from the client's own address, the other client is a second address
# on it (the per-client cap counts source addresses); 200 new HTTPS connections each time.
docker cp molecule/egress_proxy/files/idle_flood.py "$P-client:/usr/local/bin/idle_flood.py"
x client 'ip addr replace 10.218.1.11/24 dev eth0'
other_client() { # label
  x client "for i in \$(seq 200); do echo \"url = $URL/small\"; echo 'output = /dev/null'; done > /tmp/other.urls
    curl -sS -m 5 --interface 10.218.1.11 --cacert /etc/origin.crt --no-sessionid -H 'Connection: close' \
      -w '%{http_code} %{time_total}\n' -K /tmp/other.urls" > "$OUT/other-$1" || true
}
other_client quiet
x client 'rm -f /tmp/flood.out /tmp/flood.stop
  nohup python3 /usr/local/bin/idle_flood.py www.allowed.test 80,443 10.218.1.10 5000 /tmp/flood.out /tmp/flood.stop >/dev/null 2>&1 &
  for i in $(seq 120); do grep -q settled /tmp/flood.out 2>/dev/null && break; sleep 1; done; cat /tmp/flood.out' > "$OUT/flood"
other_client flood
x client 'touch /tmp/flood.stop; sleep 1; ip addr del 10.218.1.11/24 dev eth0'

say "measuring: egress_proxy_peek_server_hello (peek at step 2, splice at step 3)"
BENCH_PEEK=true configure
compare peek-step3
say "measuring: egress_proxy_workers 2"
BENCH_WORKERS=2 configure
x proxy 'systemctl restart squid'
compare workers-2

say "measuring: rotating DNS (egress_proxy_dns_enabled, one of 4 origin addresses per query, TTL 0)"
docker cp molecule/egress_proxy/files/rotating_dns.py "$P-origin:/usr/local/bin/rotating_dns.py"
x origin 'for a in 10.218.2.11 10.218.2.12 10.218.2.13 10.218.2.14 10.218.2.53; do ip addr replace $a/24 dev eth0; done
  nohup python3 /usr/local/bin/rotating_dns.py 10.218.2.53 pool.allowed.test \
    10.218.2.11 10.218.2.12 10.218.2.13 10.218.2.14 >/tmp/dns.log 2>&1 &'
BENCH_DNS=true configure
x proxy 'systemctl restart squid'
# The client asks the proxy's resolver, as VPC DHCP options would make it.
x client 'cp /etc/resolv.conf /tmp/resolv.conf.bench; echo "nameserver 10.218.1.2" > /etc/resolv.conf'
for scheme in http https; do
  x client "for i in \$(seq 200); do curl -sS -m 5 --cacert /etc/origin.crt -o /dev/null \
    -w '%{http_code} %{remote_ip}\n' $scheme://pool.allowed.test/small 2>/dev/null || true; done" > "$OUT/rotating-$scheme"
done
x client 'cat /tmp/resolv.conf.bench > /etc/resolv.conf'

python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]

def values(name):
    return [float(v) for v in open(f"{out}/{name}").read().split()]

def figures(mode):
    lat = sorted(v * 1000 for v in values(f"{mode}.lat"))
    return (lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1],
            statistics.median(values(f"{mode}.rate")), statistics.median(values(f"{mode}.tput")) / 1e6, len(lat))

print(f"\n{'path':<18}{'p50 ms':>9}{'p99 ms':>9}{'new TLS/s':>11}{'MB/s':>9}{'requests':>10}")
ratios = []
for variant in open(f"{out}/variants").read().split():
    nat, proxy = figures(f"nat-{variant}"), figures(variant)
    for label, (p50, p99, rate, mbps, n) in ((f"NAT ({variant})", nat), (variant, proxy)):
        print(f"{label:<18}{p50:>9.2f}{p99:>9.2f}{rate:>11.0f}{mbps:>9.1f}{n:>10}")
    ratios.append((variant, proxy[0] - nat[0], proxy[1] - nat[1], proxy[2] / nat[2], proxy[3] / nat[3]))
print(f"\n{'vs NAT, same block':<18}{'+p50 ms':>9}{'+p99 ms':>9}{'rate x':>11}{'tput x':>9}")
for variant, p50, p99, rate, tput in ratios:
    print(f"{variant:<18}{p50:>+9.2f}{p99:>+9.2f}{rate:>11.2f}{tput:>9.2f}")
print("\ntargets: throughput >= 0.9x NAT (SPEC: 1.0x), +p50 <= 1 ms, new TLS connections >= 0.5x NAT")
flood = {line["phase"]: line for line in map(json.loads, open(f"{out}/flood").read().splitlines())}
print(f"\none client holds 5,000 idle connections (role defaults): {flood['connected']['established']} connected,"
      f" {flood['settled']['open']} kept open by the proxy, {flood['settled']['closed_by_peer']} closed at once")
print(f"{'other client':<18}{'ok':>9}{'p50 ms':>9}{'p99 ms':>9}")
for label in ("quiet", "flood"):
    rows = [line.split() for line in open(f"{out}/other-{label}").read().splitlines() if line.strip()]
    times = sorted(float(t) * 1000 for code, t in rows if code == "200") or [float("nan")]
    ok = sum(1 for code, _ in rows if code == "200")
    print(f"{label:<18}{ok:>5}/{len(rows):<3}{times[len(times) // 2]:>9.2f}{times[max(0, int(len(times) * 0.99) - 1)]:>9.2f}")
print("\nrotating DNS (egress_proxy_dns_enabled; the name resolves to one of 4 addresses per query)")
for scheme in ("http", "https"):
    rows = [line.split() for line in open(f"{out}/rotating-{scheme}").read().splitlines() if line.strip()]
    ok = sum(1 for row in rows if row[0] == "200")
    used = {row[1] for row in rows if len(row) > 1 and row[1]}
    print(f"{scheme:<18}{ok:>5}/200 succeeded ({ok / 2:.1f}%), {len(used)} origin addresses used")
PY
