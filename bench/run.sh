#!/usr/bin/env bash
# Benchmarks of issue 8, each figure next to its reference measured in the same run (our
# machines are shared and noisy: only ratios compare across runs). Loopback only, bounded
# in time; every throwaway database is dropped on exit.
#
#   bash bench/run.sh                 # every section done so far: import, login
#   bash bench/run.sh import          # one section
#
# Environment (defaults in brackets):
#   BENCH_COMPANIES [100000]   companies of the generated file (about 10 lines each)
#   IMPORT_TIMEOUT  [600]      seconds `area-clienti import` may run; past it the rate is
#                              lines in the database / elapsed, marked TIMEOUT
#   LOGIN_USERS [1000] LOGIN_SECONDS [20] LOGIN_WORKERS [8] ARGON2_SECONDS [10]
#   PGHOST [127.0.0.1] PGUSER [postgres] BENCH_PORT [18080]
# Needs: cargo, psql/createdb/dropdb (PostgreSQL trusting role postgres), python3, nproc.
set -euo pipefail

cd "$(dirname "$0")/.."
export PGHOST="${PGHOST:-127.0.0.1}" PGUSER="${PGUSER:-postgres}"
BENCH_COMPANIES="${BENCH_COMPANIES:-100000}"
IMPORT_TIMEOUT="${IMPORT_TIMEOUT:-600}"
LOGIN_USERS="${LOGIN_USERS:-1000}"
LOGIN_SECONDS="${LOGIN_SECONDS:-20}"
LOGIN_WORKERS="${LOGIN_WORKERS:-8}"
ARGON2_SECONDS="${ARGON2_SECONDS:-10}"
BENCH_PORT="${BENCH_PORT:-18080}"
SECTIONS=("$@")
[[ ${#SECTIONS[@]} -gt 0 ]] || SECTIONS=(import login)

BIN=target/release/area-clienti
WORK="$(mktemp -d /tmp/area-clienti-bench.XXXXXX)"
DATABASES=()
SERVER_PID=""
ROWS=()

cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    for db in "${DATABASES[@]}"; do dropdb --if-exists "$db" >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

new_db() { # name → creates it and remembers to drop it
    createdb "$1"
    DATABASES+=("$1")
}
url_of() { echo "postgres://$PGUSER@$PGHOST:5432/$1"; }
row() { ROWS+=("$(printf '| %-34s | %14s | %14s | %7s | %s |' "$@")"); }
ratio() { python3 -c "import sys; a,b=map(float,sys.argv[1:]); print(f'{a/b:.3f}' if b else 'n/a')" "$1" "$2"; }

echo "== building (release)" >&2
cargo build --release --quiet --bin area-clienti --example argon2_rate

bench_import() {
    local file="$WORK/contracts.jsonl" app_db="bench_import_$$" ref_db="bench_copy_$$"
    echo "== import: generating $BENCH_COMPANIES companies" >&2
    local t0 t1
    t0=$(date +%s.%N)
    "$BIN" generate-contracts --companies "$BENCH_COMPANIES" --out "$file" --seed 1 >&2
    t1=$(date +%s.%N)
    local gen_secs lines
    gen_secs=$(python3 -c "print(f'{$t1-$t0:.2f}')")

    # The reference: the same rows as CSV (number, company VAT, contract, referent), loaded
    # by one `\copy` into a plain table shaped like mobile_lines, with the same indexes
    # (uuid primary key, unique number, (company, number)). Only the \copy is timed.
    python3 - "$file" "$WORK/lines.csv" <<'PY'
import csv, json, sys
with open(sys.argv[1]) as src, open(sys.argv[2], "w", newline="") as dst:
    out = csv.writer(dst)
    for line in src:
        c = json.loads(line)
        for l in c["mobile_lines"]:
            r = l.get("referent") or {}
            out.writerow([l["number"], c["company"]["vat_number"], c["contract_id"],
                          r.get("first_name"), r.get("last_name"), r.get("email"), r.get("profile")])
PY
    lines=$(wc -l <"$WORK/lines.csv")
    new_db "$ref_db"
    psql -q -d "$ref_db" -v ON_ERROR_STOP=1 <<'SQL'
CREATE TABLE ref_lines (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_vat         text NOT NULL,
    contract_id         text NOT NULL,
    number              text NOT NULL UNIQUE,
    referent_first_name text,
    referent_last_name  text,
    referent_email      text,
    referent_profile    text,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ref_lines_company_idx ON ref_lines (company_vat, number);
SQL
    echo "== import: reference \\copy of $lines rows" >&2
    t0=$(date +%s.%N)
    psql -q -d "$ref_db" -v ON_ERROR_STOP=1 -c "\\copy ref_lines (number, company_vat, contract_id, referent_first_name, referent_last_name, referent_email, referent_profile) FROM '$WORK/lines.csv' WITH (FORMAT csv)"
    t1=$(date +%s.%N)
    local copy_rate
    copy_rate=$(python3 -c "print(f'{$lines/($t1-$t0):.0f}')")

    echo "== import: area-clienti import (timeout ${IMPORT_TIMEOUT}s)" >&2
    new_db "$app_db"
    DATABASE_URL=$(url_of "$app_db") "$BIN" migrate >/dev/null
    local status=0
    t0=$(date +%s.%N)
    RUST_LOG=warn DATABASE_URL=$(url_of "$app_db") timeout "$IMPORT_TIMEOUT" \
        "$BIN" import "$file" >"$WORK/import.out" 2>"$WORK/import.err" </dev/null || status=$?
    t1=$(date +%s.%N)
    local imported slow note=""
    imported=$(psql -tA -d "$app_db" -c "SELECT count(*) FROM mobile_lines")
    slow=$(grep -c "slow statement" "$WORK/import.err" || true)
    if [[ $status -eq 124 ]]; then note="TIMEOUT after ${IMPORT_TIMEOUT}s, "; elif [[ $status -ne 0 ]]; then note="exit $status, "; fi
    local import_rate
    import_rate=$(python3 -c "print(f'{$imported/($t1-$t0):.0f}')")
    row "generate-contracts (s)" "$gen_secs" "-" "-" "$BENCH_COMPANIES companies, $lines lines"
    row "import lines/s vs \\copy lines/s" "$import_rate" "$copy_rate" "$(ratio "$import_rate" "$copy_rate")" \
        "${note}$imported of $lines lines imported, $slow slow-statement warnings; target >= 0.3"
    [[ $status -eq 0 ]] && cat "$WORK/import.out" >&2
    grep "slow statement" "$WORK/import.err" | sed 's/\x1b\[[0-9;]*m//g' | grep -o 'summary="[^"]*"' | sort | uniq -c >&2 || true
}

bench_login() {
    local db="bench_login_$$" password="una frase lunga e segreta per il benchmark"
    echo "== login: raw Argon2id verify rate ($(nproc) threads, ${ARGON2_SECONDS}s)" >&2
    local raw
    raw=$(target/release/examples/argon2_rate --threads "$(nproc)" --seconds "$ARGON2_SECONDS" | sed -n 's/^verifies_per_sec=//p')

    new_db "$db"
    DATABASE_URL=$(url_of "$db") "$BIN" migrate >/dev/null
    # One hash, computed once, stored for all users: every login verifies the same
    # Argon2id parameters as a real one, without paying $LOGIN_USERS hashes to set up.
    local phc
    phc=$(target/release/examples/argon2_rate --print-hash "$password")
    psql -q -d "$db" -v ON_ERROR_STOP=1 -v phc="$phc" -v n="$LOGIN_USERS" <<'SQL'
INSERT INTO companies (id, name, vat_number) VALUES (gen_random_uuid(), 'Bench S.r.l.', '01234567897');
INSERT INTO users (id, company_id, username, email, profile, state, password_hash, activated_at)
SELECT gen_random_uuid(), c.id, 'bench' || g, 'bench' || g || '@example.it',
       'utilizzatore', 'attivo', :'phc', now()
FROM generate_series(1, :n) g, companies c;
SQL
    RUST_LOG=warn DATABASE_URL=$(url_of "$db") BIND_ADDR="127.0.0.1:$BENCH_PORT" \
        "$BIN" serve >"$WORK/serve.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$BENCH_PORT/healthz" >/dev/null && break
        sleep 0.1
    done
    local load=(python3 bench/login_load.py --port "$BENCH_PORT" --users "$LOGIN_USERS" --password "$password" --seconds "$LOGIN_SECONDS")
    echo "== login: capacity, $LOGIN_WORKERS logins in flight for ${LOGIN_SECONDS}s" >&2
    "${load[@]}" --seconds 3 --workers "$LOGIN_WORKERS" >/dev/null # warm-up
    local closed paced
    closed=$("${load[@]}" --workers "$LOGIN_WORKERS")
    echo "$closed" >&2
    local capacity
    capacity=$(sed -n 's/.*logins_per_sec=\([0-9.]*\).*/\1/p' <<<"$closed")
    local target_rate
    target_rate=$(python3 -c "print(f'{0.8*$capacity:.1f}')")
    echo "== login: paced at 80% of capacity ($target_rate/s) for ${LOGIN_SECONDS}s" >&2
    paced=$("${load[@]}" --workers 32 --rate "$target_rate")
    echo "$paced" >&2
    field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2"; }
    row "logins/s vs raw Argon2id verifies/s" "$capacity" "$raw" "$(ratio "$capacity" "$raw")" \
        "closed loop, $LOGIN_WORKERS in flight, p99 $(field p99_ms "$closed") ms, failures $(field failures "$closed"); target >= 0.8"
    row "login p99 ms at 80% of capacity" "$(field p99_ms "$paced")" "150" "$(ratio "$(field p99_ms "$paced")" 150)" \
        "paced $target_rate/s: $(field logins_per_sec "$paced") ok/s, p50 $(field p50_ms "$paced") ms, late starts $(field late "$paced"), failures $(field failures "$paced"); target ratio <= 1"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

for section in "${SECTIONS[@]}"; do
    case "$section" in
        import) bench_import ;;
        login) bench_login ;;
        *) echo "unknown section: $section (import, login)" >&2; exit 2 ;;
    esac
done

echo
echo "$(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '| %-34s | %14s | %14s | %7s | %s |\n' "measure" "value" "reference" "ratio" "notes"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..36})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..16})" "---------" "---"
printf '%s\n' "${ROWS[@]}"
