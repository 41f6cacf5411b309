# Helpers shared by the benchmark scripts (sourced, not run).

# One wrk run's figures from its --latency output on stdin: "requests_per_second p50_ms p99_ms
# requests_sent".
wrk_figures() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /requests in/ { sent = $1 }
    END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, sent }'
}

# Sets $base to the first of $1 consecutive ports that nothing listens on, all below the kernel's
# ephemeral range (ip_local_port_range): a port there could be handed to any outgoing connection
# (wrk's, supportd's own to Redis) between our pick and our bind.
port_block() {
  local low ports _
  low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range)
  for _ in $(seq 50); do
    base=$((10000 + RANDOM % (low - 10000 - $1)))
    ports=$(seq -s ' or ' -f 'sport = :%g' "$base" $((base + $1 - 1)))
    ss -Htln "( $ports )" | grep -q . || return 0
  done
  echo "port_block: no $1 free ports found" >&2
  return 1
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# A self-signed certificate for localhost in $1.
make_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$1/key.pem" -out "$1/cert.pem" -subj /CN=localhost 2>/dev/null
}

# nginx answering a fixed 200 on plain port $2 and TLS port $3, from work dir $1, with $4 worker
# processes (default: one per core), logging every request in 100 ms batches as supportd does;
# its pid in $nginx_pid.
start_nginx() {
  cat >"$1/nginx.conf" <<NGINX
worker_processes ${4:-$(nproc)};
pid $1/nginx.pid;
error_log $1/nginx-error.log;
events { worker_connections 20000; }
http {
  access_log $1/nginx-access.log combined buffer=32k flush=100ms;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  server {
    listen 127.0.0.1:$2;
    listen 127.0.0.1:$3 ssl;
    ssl_certificate $1/cert.pem;
    ssl_certificate_key $1/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
NGINX
  nginx -c "$1/nginx.conf" -p "$1" -g 'daemon off;' &
  nginx_pid=$!
}

# CPU time (user + system, ms) that the processes given have used so far, all threads together,
# with that of their finished children (Redis's AOF rewrites).
cpu_ms() {
  local ticks=0 pid
  for pid in "$@"; do
    ticks=$((ticks + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat")))
  done
  echo $((ticks * 1000 / $(getconf CLK_TCK)))
}

# Sets $children_ms to the CPU time (ms) this shell's finished children (wrk, …) have used.
# `times` must run in this shell, not in a $(…) subshell, which would see only its own.
read_children_cpu() {
  times >"$1"
  children_ms=$(awk 'NR == 2 {
    for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] }
    printf "%.0f", t * 1000 }' "$1")
}

# CPU per operation from "name ms" pairs (stdin), over $1 operations, next to the budget that
# $2 operations per second would leave on this machine's cores.
cpu_per_op() {
  awk -v n="$1" -v rate="$2" -v cores="$(nproc)" '
    { used[NR] = $1; ms[NR] = $2; total += $2 }
    END {
      line = ""
      for (i = 1; i <= NR; i++) line = line sprintf("%s%s %.0f", i > 1 ? ", " : "", used[i], ms[i] * 1000 / n)
      printf "  CPU per operation (µs): %s; all %.0f", line, total * 1000 / n
      if (rate > 0) printf " (%.0f/s would need at most %.0f)", rate, cores * 1e6 / rate
      printf "\n"
    }'
}
