# shellcheck shell=bash disable=SC2034  # bench_pid, bench_idle: read by the sourcing script
# Shared by bench/api/run and bench/kannel/run (sourced, not run): the
# processes a benchmark starts, bounded waits on them, and the machine checks.
# Every process goes through bench_spawn so that the EXIT trap stops it.

bench_pids=()

# bench_spawn LOG CMD...: starts CMD in the background, stderr and stdout to
# LOG; its pid in $bench_pid.
bench_spawn() {
    local log=$1
    shift
    "$@" >"$log" 2>&1 &
    bench_pid=$!
    bench_pids+=("$bench_pid")
}

# bench_stop PID...: SIGTERM, up to 10 s to exit (bearerbox takes a few
# seconds to close its threads), then SIGKILL. Only our own children.
bench_stop() {
    local p
    for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
    for _ in $(seq 100); do
        local alive=0
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for p in "$@"; do
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    # Forgotten once reaped: the EXIT trap must never signal a reused pid.
    local keep=() q
    for q in "${bench_pids[@]+"${bench_pids[@]}"}"; do
        [[ " $* " == *" $q "* ]] || keep+=("$q")
    done
    bench_pids=("${keep[@]+"${keep[@]}"}")
}

bench_cleanup() {
    # Newest first: the gateways before the simulator they talk to.
    local i
    for ((i = ${#bench_pids[@]} - 1; i >= 0; i--)); do bench_stop "${bench_pids[i]}"; done
}

# bench_wait_log LOG PID SED_EXPR: waits (10 s at most) until sed -n SED_EXPR
# prints something from LOG and echoes its first line; fails if PID exits.
bench_wait_log() {
    local log=$1 pid=$2 expr=$3 v
    for _ in $(seq 100); do
        v=$(sed -n "$expr" "$log" 2>/dev/null | head -1)
        [ -n "$v" ] && { echo "$v"; return 0; }
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench: nothing matching '$expr' in $log within 10 s:" >&2
    cat "$log" >&2
    return 1
}

# bench_wait_http URL PATTERN [SECONDS]: waits until GET URL answers a body
# matching the grep pattern (default 20 s; Kannel binds its SMSC in a few).
bench_wait_http() {
    local url=$1 pat=$2 n=$((${3:-20} * 10))
    for _ in $(seq "$n"); do
        curl -s --max-time 1 "$url" 2>/dev/null | grep -q -- "$pat" && return 0
        sleep 0.1
    done
    echo "bench: $url did not answer '$pat' within $((n / 10)) s" >&2
    return 1
}

# bench_free_ports N: N TCP ports free on 127.0.0.1 now, for programs that
# cannot take port 0 and report it (Kannel).
bench_free_ports() {
    node -e '
      const net = require("node:net");
      const n = Number(process.argv[1]);
      const ss = Array.from({ length: n }, () => net.createServer().listen(0, "127.0.0.1"));
      Promise.all(ss.map((s) => new Promise((r) => s.on("listening", r)))).then(() => {
        console.log(ss.map((s) => s.address().port).join(" "));
        ss.forEach((s) => s.close());
      });' "$1"
}

bench_machine() {
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo)"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
    echo "disk: $(df -T "$1" | awk 'NR==2 {print $2, $1}') (the store's directory, $1)"
}

# Busy CPU over one second, in percent of one core, from /proc/stat.
bench_busy() {
    local a b
    a=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
    echo "$a $b" | awk -v n="$(nproc)" '{ t = $4 - $2; printf "%d", (t > 0 ? 100 * n * ($3 - $1) / t : 0) }'
}

# bench_idle: before a measured run, waits for the machine to use less than
# 20 % of a core outside the benchmark (whose own processes are idle at that
# point): up to 30 s a check, and BENCH_IDLE_WAIT seconds in all (default
# 120), after which checks only measure. It runs anyway, saying so: on a
# shared machine a refusal would only mean no figures at all. Sets
# $bench_idle to a note for the result line.
bench_idle_budget=${BENCH_IDLE_WAIT:-120}
bench_idle() {
    local busy i=0
    while :; do
        busy=$(bench_busy)
        i=$((i + 1))
        if [ "$busy" -lt 20 ]; then
            bench_idle="idle: ${busy}% of a core busy"
            return 0
        fi
        [ $i -ge 30 ] || [ "$bench_idle_budget" -le 0 ] && break
        bench_idle_budget=$((bench_idle_budget - 1))
    done
    bench_idle="BUSY: ${busy}% of a core busy after ${i} s"
}

# bench_account BIN CONF: creates the account "bench" with a huge balance
# and prints an API key for it; says what failed rather than exiting mute.
bench_account() {
    local key rc=0
    key=$("$1" -q keys create --account bench --config "$2" 2>&1 | head -1) || rc=$?
    if [ $rc != 0 ] || [[ $key != rl_* ]]; then
        echo "bench: '$1 keys create --config $2' failed (status $rc): $key" >&2
        return 1
    fi
    if ! "$1" -q accounts credit --account bench --amount 1000000000 --config "$2" >/dev/null; then
        echo "bench: '$1 accounts credit --config $2' failed" >&2
        return 1
    fi
    echo "$key"
}

# bench_cpu PID: user+system CPU seconds so far.
bench_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0
}
