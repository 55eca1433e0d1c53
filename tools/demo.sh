#!/usr/bin/env bash
# make demo: relais on its embedded defaults, in a scratch directory.
set -euo pipefail
bin=$(realpath "$1")
dir=$(mktemp -d /tmp/relais-demo.XXXXXX)
port=${DEMO_PORT:-8080}

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

say "relais serve on a fresh SQLite store ($dir/relais.db)"
echo "The message pipeline (API, dispatcher, SMSC simulator) arrives with the next issues;"
echo "today the service opens and migrates the store and answers its health check."
"$bin" serve --db "$dir/relais.db" --port "$port" 2>"$dir/serve.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
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
