#!/usr/bin/env bash
# make demo: relais on its embedded defaults, in a scratch directory.
set -euo pipefail
bin=$(realpath "$1")
dir=$(mktemp -d /tmp/relais-demo.XXXXXX)
port=${DEMO_PORT:-8080}

pids=()
cleanup() {
    for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
# Shows each command as one would type it: plain words bare, others in single quotes.
show() {
    local a out='$ relais'
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_.+/:=-]+$ ]]; then out+=" $a"; else out+=" '${a//\'/\'\\\'\'}'"; fi
    done
    printf '%s\n' "$out"
}
run() { show "$@"; "$bin" "$@"; }

say "relais demo: the text core every message goes through"
run inspect 'Bonjour Marie, votre colis arrive demain. STOP au 36180'
run inspect 'Votre commande est prête 😀'
run inspect --smart 'C’est confirmé… à demain – l’équipe'
run render --template 'Bonjour #firstname|client#, -10 % chez #shop# ce week-end' \
    --data '{"firstname":"Marie","shop":"Boutique Lumière"}'
run phone 0610203040 33610203040 610203040 '06.10.20.30.40' 0140000000 '+32 470 12 34 56' 12

say "SMPP: the built-in SMSC simulator plays the operator"
"$bin" smsc-sim --port 0 --receipt-delay 200ms..800ms --reply-rate 0 >/dev/null 2>"$dir/sim.log" &
sim=$!
pids+=("$sim")
for _ in $(seq 50); do
    grep -q 'msg=listening' "$dir/sim.log" 2>/dev/null && break
    sleep 0.1
done
smsc_port=$(sed -n 's/.*url=smpp:\/\/[^:]*:\([0-9]*\).*/\1/p' "$dir/sim.log" | head -1)
grep 'msg=listening' "$dir/sim.log"
run smpp-send --port "$smsc_port" --system-id relais --password relais --from Boutique \
    --to 0610203040 --wait-receipt 5 'Bonjour Marie, votre colis arrive demain. STOP au 36180'
run smpp-send --port "$smsc_port" --system-id relais --password relais --from Boutique \
    --to 0140000000 --wait-receipt 5 'Un fixe ne reçoit pas de SMS' || true
kill -TERM $sim 2>/dev/null; wait $sim 2>/dev/null || true

say "relais serve on a fresh SQLite store ($dir/relais.db)"
echo "The message pipeline (API, store, dispatcher) arrives with the next issue;"
echo "today the service opens and migrates the store and answers its health check."
"$bin" serve --db "$dir/relais.db" --port "$port" >/dev/null 2>"$dir/serve.log" &
pid=$!
pids+=("$pid")
for _ in $(seq 50); do
    grep -q 'msg=listening' "$dir/serve.log" 2>/dev/null && break
    kill -0 $pid 2>/dev/null || { cat "$dir/serve.log"; exit 1; }
    sleep 0.1
done
cat "$dir/serve.log"
echo "\$ curl -s http://127.0.0.1:$port/v1/health"
curl -s "http://127.0.0.1:$port/v1/health"; echo
if [ -n "${DEMO_ONCE:-}" ]; then exit 0; fi
say "relais is serving on http://127.0.0.1:$port/ (Ctrl-C stops it)"
tail -f "$dir/serve.log" --pid=$pid -n 0
