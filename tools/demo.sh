#!/usr/bin/env bash
# make demo: relais on its embedded defaults, in a scratch directory.
set -euo pipefail
bin=$(realpath "$1")
dir=$(mktemp -d /tmp/relais-demo.XXXXXX)
# The API's port: DEMO_PORT if set (and then it must be free), else 8080, or
# any free port when 8080 is taken; the URL printed is read from serve's log.
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

say "relais serve: the API, the store and the dispatcher, on the simulator"
"$bin" smsc-sim --port 0 --receipt-delay 200ms..1500ms --delivery-rate 0.9 --reply-rate 0 \
    >/dev/null 2>"$dir/sim2.log" &
pids+=($!)
for _ in $(seq 50); do grep -q 'msg=listening' "$dir/sim2.log" 2>/dev/null && break; sleep 0.1; done
smsc_port=$(sed -n 's/.*url=smpp:\/\/[^:]*:\([0-9]*\).*/\1/p' "$dir/sim2.log" | head -1)
cat >"$dir/relais.conf" <<CONF
# Written by make demo: everything else is the built-in default.
[store]
path = $dir/relais.db

[route simulator]
host = 127.0.0.1
port = $smsc_port
system_id = relais
password = relais
CONF
echo "configuration: $dir/relais.conf (route 'simulator' -> smpp://127.0.0.1:$smsc_port)"
key=$("$bin" -q keys create --account demo --config "$dir/relais.conf" | head -1)
"$bin" -q accounts credit --account demo --amount 100 --config "$dir/relais.conf"
# Starts serve on port $1; true once it listens, false if it exits first.
serve_on() {
    "$bin" serve --config "$dir/relais.conf" --port "$1" >/dev/null 2>"$dir/serve.log" &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do
        grep -q 'msg=listening' "$dir/serve.log" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
if ! serve_on "$port"; then
    if [ -n "${DEMO_PORT:-}" ] || ! grep -q 'cannot listen' "$dir/serve.log"; then
        cat "$dir/serve.log"
        exit 1
    fi
    echo "port $port is taken: serving on a free port instead"
    serve_on 0 || { cat "$dir/serve.log"; exit 1; }
fi
api=$(sed -n 's/.*msg=listening url=\(http:[^ ]*[0-9]\)\/* .*/\1/p' "$dir/serve.log" | head -1)
echo "API: $api   key: $key"

say "A sample batch through POST /v1/messages/batch"
cat >"$dir/batch.json" <<'JSON'
{"messages": [
  {"to": "0610203040", "from": "Boutique", "text": "Bonjour Marie, votre colis arrive demain."},
  {"to": "06 11 22 33 44", "from": "Boutique", "category": "marketing",
   "template": "Bonjour #firstname|client#, -20 % ce week-end. STOP au 36180", "data": {"firstname": "Paul"}},
  {"to": "+32470123456", "from": "Boutique", "text": "Votre commande est prête 😀"},
  {"to": "0140000000", "from": "Boutique", "text": "Un fixe ne reçoit pas de SMS"},
  {"to": "0610", "from": "Boutique", "text": "Numéro trop court"}
]}
JSON
echo "\$ curl -s -H 'Authorization: Bearer \$KEY' --data @batch.json $api/v1/messages/batch"
curl -s -H "Authorization: Bearer $key" --data @"$dir/batch.json" "$api/v1/messages/batch"; echo

say "Where they are: GET /v1/messages, once the receipts are in"
echo "\$ curl -s -H 'Authorization: Bearer \$KEY' $api/v1/messages"
API="$api" KEY="$key" node -e '
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  (async () => {
    let list = [];
    for (let i = 0; i < 50; i++) { // at most 10 s: the simulator answers within 1.5 s
      const r = await fetch(`${process.env.API}/v1/messages`, { headers: { authorization: `Bearer ${process.env.KEY}` } });
      list = (await r.json()).messages;
      if (list.every((m) => !["queued", "submitting", "submitted", "retrying"].includes(m.status))) break;
      await wait(200);
    }
    for (const m of list) console.log(`  #${m.id} ${m.to.padEnd(14)} ${m.status.padEnd(14)} ${m.encoding} ${m.segments} seg  cost ${m.cost}`);
  })();'
"$bin" -q accounts show --account demo --config "$dir/relais.conf"

if [ -n "${DEMO_ONCE:-}" ]; then exit 0; fi
say "relais is serving on $api (Ctrl-C stops it)"
cat <<TRY
Try:
  curl -s -H 'Authorization: Bearer $key' -d '{"to":"0610203040","from":"Boutique","text":"Bonjour !"}' $api/v1/messages
  curl -s -H 'Authorization: Bearer $key' $api/v1/messages/1
  curl -s $api/openapi.json
Logs: $dir/serve.log   Store: $dir/relais.db (removed when the demo stops)
TRY
tail -f "$dir/serve.log" --pid=$pid -n 0
