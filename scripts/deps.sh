#!/usr/bin/env bash
# Installs what relais needs to build and test, and nothing when all is there.
# Idempotent: apt-get runs only for packages that are missing. As a non-root
# user it prints the exact command to run instead, and fails.
set -euo pipefail

debs=(
    build-essential pkg-config clang libclang-rt-14-dev clang-format
    libcmocka-dev libphonenumber-dev libjansson-dev libsqlite3-dev
    libmicrohttpd-dev libuv1-dev libsodium-dev libcurl4-openssl-dev
    libsmpp34-dev libcsv-dev libicu-dev zlib1g-dev faketime nodejs npm curl
)

missing=()
for p in "${debs[@]}"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || missing+=("$p")
done
# nodejs may come from another packaging than Debian's: a working node is enough.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    kept=()
    for p in "${missing[@]}"; do
        case "$p" in nodejs|npm) ;; *) kept+=("$p") ;; esac
    done
    missing=("${kept[@]+"${kept[@]}"}")
fi

if [ ${#missing[@]} -gt 0 ]; then
    cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "relais: missing Debian packages: ${missing[*]}" >&2
        echo "run as root: $cmd" >&2
        exit 1
    fi
    echo "deps: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# npm packages for the end-to-end tests and test peers, pinned by the lock file.
if [ -f tests/e2e/package.json ]; then
    if [ ! -d tests/e2e/node_modules ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules ]; then
        (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error >&2)
        touch tests/e2e/node_modules
    fi
fi
