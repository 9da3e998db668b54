#!/usr/bin/env bash
# The benchmarks of issue 8. Every figure is printed next to a reference measured in the
# same run on the same machine (our machines are shared and noisy: compare ratios, not
# raw numbers across runs). Loopback only, bounded in requests and time; every database
# and server it starts is dropped or stopped on exit.
#
#   bash bench/run.sh                   # everything: data, import, gu, search, memory, outbox, login
#   bash bench/run.sh gu search         # some sections (they load the data set first)
#   BENCH_DB=mydb bash bench/run.sh gu  # reuse a database loaded by an earlier run (kept)
#   BENCH_KEEP=1 bash bench/run.sh import  # keep the loaded database for later runs
#
# Environment (defaults in brackets):
#   BENCH_COMPANIES [100000]  companies of the data set (about 10 lines each, one of 20,000)
#   BENCH_SECONDS   [15]      duration of each load run
#   BENCH_PORT      [18080]   port of the portal under test (127.0.0.1)
#   LOGIN_USERS [10000] LOGIN_WORKERS [8] ARGON2_SECONDS [10] OUTBOX_EMAILS [10000]
#   PGHOST [127.0.0.1] PGUSER [postgres]
# Needs: cargo, psql/createdb/dropdb/pgbench (a PostgreSQL trusting role postgres), wrk,
# python3, curl.
set -euo pipefail

cd "$(dirname "$0")/.."
export PGHOST="${PGHOST:-127.0.0.1}" PGUSER="${PGUSER:-postgres}"
# Loopback: no TLS to the database, for the portal as for psql and pgbench (the server
# offers it, and sqlx and libpq take it by default: a twentieth of PostgreSQL's CPU).
export PGSSLMODE="${PGSSLMODE:-disable}"
BENCH_COMPANIES="${BENCH_COMPANIES:-100000}"
BENCH_SECONDS="${BENCH_SECONDS:-15}"
BENCH_PORT="${BENCH_PORT:-18080}"
# An app code is accepted once per 30-second step: enough users that none logs in twice
# within a step at twice the capacity.
LOGIN_USERS="${LOGIN_USERS:-10000}"
TOTP_SECRET=3132333435363738393031323334353637383930
LOGIN_WORKERS="${LOGIN_WORKERS:-8}"
ARGON2_SECONDS="${ARGON2_SECONDS:-10}"
OUTBOX_EMAILS="${OUTBOX_EMAILS:-10000}"
PASSWORD="una frase lunga e segreta per il benchmark"
# The authenticator-app secret of the benchmark's operators (20 bytes, hex).
STAFF_TOTP_HEX="62656e63686d61726b2d6f70657261746f723139"
SECTIONS=("$@")
[[ ${#SECTIONS[@]} -gt 0 ]] || SECTIONS=(import gu search memory outbox login)

BIN=target/release/area-clienti
EXAMPLES=target/release/examples
WORK="$(mktemp -d /tmp/area-clienti-bench.XXXXXX)"
DATABASES=()
PIDS=()
ROWS=()
DATA_DB="${BENCH_DB:-}"

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    for db in "${DATABASES[@]}"; do dropdb --if-exists "$db" >/dev/null 2>&1 || true; done
    [ -n "${BENCH_KEEP_LOG:-}" ] && cp "$WORK/serve.log" "$BENCH_KEEP_LOG" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

new_db() { createdb "$1"; DATABASES+=("$1"); }
url_of() { echo "postgres://$PGUSER@$PGHOST:5432/$1?sslmode=$PGSSLMODE"; }
sql() { local db="$1"; shift; psql -X -q -tA -v ON_ERROR_STOP=1 -d "$db" "$@"; }
now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
ratio() { python3 -c "import sys; a,b=map(float,sys.argv[1:]); print(f'{a/b:.2f}' if b else 'n/a')" "$1" "$2"; }
row() { ROWS+=("$(printf '| %-44s | %10s | %10s | %6s | %s |' "$@")"); }
say() { echo "== $*" >&2; }
# The value of key $1 in a line of key=value pairs ($2), as the load generators print.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# The portal on $BENCH_PORT against database $1; extra environment in the remaining args.
# DEV_MAILBOX=true: the sections without a transport keep their messages in the dev mailbox
# (serve refuses to start with a transport unset otherwise).
start_portal() {
    local db="$1"; shift
    # The load comes from one address: the per-client cap would measure itself.
    env RUST_LOG=warn DEV_MAILBOX=true CLIENT_REQUESTS_PER_MINUTE=0 DATABASE_URL="$(url_of "$db")" BIND_ADDR="127.0.0.1:$BENCH_PORT" "$@" \
        "$BIN" serve >"$WORK/serve.log" 2>&1 &
    PORTAL_PID=$!
    PIDS+=("$PORTAL_PID")
    for _ in $(seq 200); do
        curl -fs "http://127.0.0.1:$BENCH_PORT/readyz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    cat "$WORK/serve.log" >&2
    echo "the portal did not start" >&2
    exit 1
}
stop_portal() { kill "$PORTAL_PID"; wait "$PORTAL_PID" 2>/dev/null || true; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# wrk's summary: "<requests/s> <p99 ms> <non-2xx>"
wrk_run() {
    local out
    out=$(wrk -t1 -c"$1" -d"${BENCH_SECONDS}s" --latency -s bench/cookies.lua "$2")
    echo "$out" >&2
    python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
def ms(v):
    n, unit = re.match(r"([\d.]+)(\w+)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print(rps, f"{p99:.1f}", bad.group(1) if bad else 0)
PY
}

# Open loop (issue 16, target 3): requests at 80% of `capacity` (the saturated closed-loop
# rate measured just before), as users arrive; p99 counted from when each was due.
open_loop_row() {
    local what="$1" label="$2" capacity="$3"; shift 3
    local rate out
    rate=$(calc "round(0.8 * $capacity, 1)")
    say "$what ($label): open loop at $rate/s (80% of $capacity/s)"
    out=$("$EXAMPLES/open_loop" --rate "$rate" --seconds "$BENCH_SECONDS" "$@")
    echo "$out" >&2
    row "$what p99 ms open loop at 80% capacity, $label" "$(field p99_ms "$out")" "20" \
        "$(ratio "$(field p99_ms "$out")" 20)" \
        "capacity $capacity/s, sent $(field per_sec "$out")/s, p50 $(field p50_ms "$out") ms, late $(field late "$out"), $(field non2xx "$out") non-2xx; target <= 1"
}

# pgbench's summary: "<transactions/s> <average latency ms>"
pgbench_run() {
    local db="$1" clients="$2"; shift 2
    local out
    out=$(pgbench -n -M prepared -c "$clients" -j 1 -T "$BENCH_SECONDS" "$@" "$db" 2>&1)
    echo "$out" | grep -E "tps|latency" >&2
    python3 - "$out" <<'PY'
import re, sys
out = sys.argv[1]
tps = re.search(r"tps = ([\d.]+)", out).group(1)
lat = re.search(r"latency average = ([\d.]+) ms", out).group(1)
print(tps, lat)
PY
}

say "building (release)"
cargo build --release --quiet --bin area-clienti --example argon2_rate --example smtp_sink --example login_load --example open_loop

# ---------------------------------------------------------------------------------------
# Data set and import: the generated contracts through `area-clienti import`, against a
# raw COPY of the very same mobile_lines rows into a table with the same columns and
# indexes (CREATE TABLE ... (LIKE mobile_lines INCLUDING ALL)).
bench_import() {
    local db="bench_data_$$" file="$WORK/contracts.jsonl"
    say "data: generating $BENCH_COMPANIES companies"
    local t0 t1
    t0=$(now)
    "$BIN" generate-contracts --companies "$BENCH_COMPANIES" --out "$file" --seed 1 >&2
    t1=$(now)
    local gen_secs
    gen_secs=$(calc "round($t1 - $t0, 1)")
    if [[ -n "${BENCH_KEEP:-}" ]]; then createdb "$db"; say "data: database $db is kept"; else new_db "$db"; fi
    DATABASE_URL=$(url_of "$db") "$BIN" migrate >/dev/null
    say "import: area-clienti import"
    t0=$(now)
    RUST_LOG=warn DATABASE_URL=$(url_of "$db") "$BIN" import "$file" </dev/null >&2
    t1=$(now)
    local lines import_secs import_rate
    lines=$(sql "$db" -c "SELECT count(*) FROM mobile_lines")
    import_secs=$(calc "round($t1 - $t0, 1)")
    import_rate=$(calc "round($lines / ($t1 - $t0))")

    say "import: reference COPY of the same $lines rows"
    sql "$db" -c "\\copy (SELECT * FROM mobile_lines) TO '$WORK/lines.copy'"
    sql "$db" -c "CREATE TABLE bench_copy_reference (LIKE mobile_lines INCLUDING ALL)"
    t0=$(now)
    sql "$db" -c "\\copy bench_copy_reference FROM '$WORK/lines.copy'"
    t1=$(now)
    local copy_rate
    copy_rate=$(calc "round($lines / ($t1 - $t0))")
    sql "$db" -c "DROP TABLE bench_copy_reference"

    # Users for the lines whose contract named a referent (nine in ten), in the states a
    # living customer base has. One set-based statement: the portal registers them one by
    # one from Gestione Utenze, each with its email and audit event, which at a million
    # would measure the outbox rather than give the pages their data.
    say "data: users for the lines with a referent"
    t0=$(now)
    sql "$db" <<'SQL'
BEGIN;
CREATE TEMP TABLE bench_new_users ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, l.id AS line_id, l.company_id, l.referent_email AS email,
       l.number, l.referent_first_name AS first_name, l.referent_last_name AS last_name,
       coalesce(l.referent_profile, 'utilizzatore') AS profile,
       (ARRAY['in_attesa', 'attivo', 'attivo', 'attivo', 'disabilitato']::registration_state[])
           [1 + abs(hashtext(l.number)) % 5] AS state
FROM mobile_lines l
WHERE l.user_id IS NULL AND l.referent_email IS NOT NULL;
INSERT INTO users (id, company_id, username, email, mobile, first_name, last_name, profile, state)
SELECT id, company_id, email, email, number, first_name, last_name, profile, state
FROM bench_new_users;
UPDATE mobile_lines l SET user_id = n.id FROM bench_new_users n WHERE l.id = n.line_id;
-- A customer base at rest: the import's username emails were delivered long ago (the
-- outbox section measures delivery on its own).
UPDATE outbox SET state = 'sent', sent_at = now(), body_text = NULL, body_html = NULL
WHERE state = 'queued';
COMMIT;
VACUUM ANALYZE;
SQL
    t1=$(now)
    local users companies users_secs
    users=$(sql "$db" -c "SELECT count(*) FROM users")
    companies=$(sql "$db" -c "SELECT count(*) FROM companies")
    users_secs=$(calc "round($t1 - $t0, 1)")
    row "data set: generate + import + users (s)" "$(calc "round($gen_secs + $import_secs + $users_secs)")" "600" \
        "$(ratio "$(calc "$gen_secs + $import_secs + $users_secs")" 600)" \
        "$companies companies, $lines lines, $users users; generate ${gen_secs}s, import ${import_secs}s, users ${users_secs}s; target < 1"
    row "import lines/s vs raw COPY lines/s" "$import_rate" "$copy_rate" "$(ratio "$import_rate" "$copy_rate")" \
        "$lines lines through area-clienti import; target >= 0.3"
    DATA_DB="$db"
}

ensure_data() { [[ -n "$DATA_DB" ]] || bench_import; }

# The legal representative of the company of contract $2 in database $1 gets the benchmark
# password (one Argon2id hash, made once) and is active; prints "user_id company_id username".
activate_legal_rep() {
    local db="$1" contract="$2" phc
    phc=$("$EXAMPLES/argon2_rate" --print-hash "$PASSWORD")
    sql "$db" -v phc="$phc" -v contract="$contract" <<'SQL'
UPDATE users u SET password_hash = :'phc', state = 'attivo', activated_at = now()
FROM contracts c
WHERE c.contract_id = :'contract' AND u.id = c.legal_representative_user_id
RETURNING u.id || ' ' || u.company_id || ' ' || u.username;
SQL
}

# ---------------------------------------------------------------------------------------
# Gestione Utenze: 50 logged-in sessions of the legal representative opening the page, for
# the 20,000-line company and for a typical one (6 lines), against pgbench running the
# page's SQL (bench/sql/gu_page.sql) with the same concurrency.
bench_gu() {
    ensure_data
    local db="$DATA_DB" conns=50
    # The page is measured, not the login: the 50 sessions of one legal representative log
    # in with the password alone (an app code is accepted once per 30 s step per user).
    start_portal "$db" MFA_REQUIRED_FOR=
    local label contract
    for label_contract in "20,000 lines:GEN-1-0000000" "typical, 6 lines:GEN-1-0000045"; do
        label="${label_contract%%:*}" contract="${label_contract##*:}"
        local who user_id company_id username
        who=$(activate_legal_rep "$db" "$contract")
        read -r user_id company_id username <<<"$who"
        say "gu ($label): $conns sessions of $username"
        python3 bench/login_sessions.py --port "$BENCH_PORT" --username "$username" \
            --password "$PASSWORD" --count "$conns" >"$WORK/cookies"
        # Every session must see the page itself, not a redirect to the login.
        local status
        status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $(head -1 "$WORK/cookies")" \
            "http://127.0.0.1:$BENCH_PORT/area-clienti/gestione-utenze")
        [[ "$status" == 200 ]] || { echo "gestione-utenze answered $status" >&2; exit 1; }
        local page pg sid
        page=$(BENCH_COOKIES="$WORK/cookies" wrk_run "$conns" "http://127.0.0.1:$BENCH_PORT/area-clienti/gestione-utenze")
        sid=$(sql "$db" -c "SELECT id FROM tower_sessions.session ORDER BY expiry_date DESC LIMIT 1")
        pg=$(pgbench_run "$db" "$conns" -f bench/sql/gu_page.sql -D sid="$sid" -D uid="$user_id" -D company="$company_id" -D page_size=50 -D page_offset=0)
        local rps p99 bad tps
        read -r rps p99 bad <<<"$page"
        read -r tps _ <<<"$pg"
        row "GU page p99 ms, $label" "$p99" "20" "$(ratio "$p99" 20)" \
            "$conns sessions, ${BENCH_SECONDS}s, $bad non-2xx; target <= 1"
        row "GU pages/s vs pgbench page SQL tx/s, $label" "$rps" "$tps" "$(ratio "$rps" "$tps")" \
            "same $conns-way concurrency; target >= 0.5"
        # The same sessions with fewer requests in flight: the latency of a page itself
        # when the machine is not saturated.
        read -r rps p99 bad <<<"$(BENCH_COOKIES="$WORK/cookies" wrk_run 8 "http://127.0.0.1:$BENCH_PORT/area-clienti/gestione-utenze")"
        row "GU page p99 ms at 8 in flight, $label" "$p99" "20" "$(ratio "$p99" 20)" \
            "$rps pages/s, $bad non-2xx; target <= 1"
        local capacity
        read -r capacity _ <<<"$page"
        open_loop_row "GU page" "$label" "$capacity" --cookies "$WORK/cookies" \
            --url "http://127.0.0.1:$BENCH_PORT/area-clienti/gestione-utenze"
        [[ "$contract" == "GEN-1-0000000" ]] && bench_gu_search "$db" "$company_id"
    done
    stop_portal
}

# Searches and filters inside the largest company (issue 16): a fragment of a number, a
# last name, the start of an e-mail address and two states, each on one connection (the
# rate a person's requests get) and at 8 in flight (p99), with the sessions of bench_gu.
bench_gu_search() {
    local db="$1" company_id="$2" number name email
    IFS='|' read -r number name email <<<"$(sql "$db" -c "
        SELECT substr(l.number, 6, 7), u.last_name, split_part(u.email, '@', 1)
        FROM mobile_lines l JOIN users u ON u.id = l.user_id
        WHERE l.company_id = '$company_id' AND u.last_name <> ''
        ORDER BY l.number OFFSET 5000 LIMIT 1")"
    local base="http://127.0.0.1:$BENCH_PORT/area-clienti/gestione-utenze"
    local kind query rps p99 bad
    for kind_query in "number fragment:q=$number" "last name:q=$name" "e-mail start:q=$email" \
                      "stato attivo:stato=attivo" "stato da_registrare:stato=da_registrare"; do
        kind="${kind_query%%:*}"
        query=$(python3 -c 'import sys, urllib.parse; k, v = sys.argv[1].split("=", 1); print(k + "=" + urllib.parse.quote(v))' "${kind_query#*:}")
        say "gu search (20,000 lines): $kind ($query)"
        read -r rps p99 bad <<<"$(BENCH_COOKIES="$WORK/cookies" wrk_run 1 "$base?$query")"
        row "GU search/s on 1 connection, $kind" "$rps" "200" "$(ratio "$rps" 200)" \
            "20,000 lines, $query, p99 $p99 ms, $bad non-2xx; target >= 1"
        read -r rps p99 bad <<<"$(BENCH_COOKIES="$WORK/cookies" wrk_run 8 "$base?$query")"
        row "GU search p99 ms at 8 in flight, $kind" "$p99" "20" "$(ratio "$p99" 20)" \
            "20,000 lines, $rps searches/s, $bad non-2xx; target <= 1"
    done
}

# ---------------------------------------------------------------------------------------
# Support search (Servizio Clienti 191): 50 staff sessions searching by Partita IVA,
# company name, email, username and mobile number, over the whole data set.
bench_search() {
    ensure_data
    local db="$DATA_DB" conns=50
    printf '%s\n' "$PASSWORD" | DATABASE_URL=$(url_of "$db") "$BIN" staff add operatore191 >/dev/null 2>&1 || true
    # Operators log in with their app's code, accepted once per 30-second step: one
    # operator per session (operatore191_1…), each with an app of the benchmark's secret.
    sql "$db" -v n="$conns" -v secret="$STAFF_TOTP_HEX" <<'SQL' >/dev/null
INSERT INTO staff_users (id, username, password_hash)
SELECT gen_random_uuid(), 'operatore191_' || g, s.password_hash
FROM generate_series(1, :n) g, staff_users s WHERE s.username = 'operatore191'
ON CONFLICT DO NOTHING;
INSERT INTO authenticator_apps (id, staff_id, secret, created_at)
SELECT gen_random_uuid(), s.id, decode(:'secret', 'hex'), now()
FROM staff_users s WHERE s.username LIKE 'operatore191_%'
ON CONFLICT DO NOTHING;
SQL
    start_portal "$db"
    python3 bench/login_sessions.py --port "$BENCH_PORT" --username operatore191_ \
        --password "$PASSWORD" --count "$conns" --staff "$STAFF_TOTP_HEX" >"$WORK/staff_cookies"
    # 500 searches drawn from the data: a fifth of each kind.
    sql "$db" >"$WORK/searches" <<'SQL'
WITH sample AS (
    SELECT c.vat_number, c.name, u.email, u.username, u.mobile
    FROM companies c JOIN users u ON u.company_id = c.id AND u.profile = 'rappresentante_legale'
    ORDER BY hashtext(c.vat_number) LIMIT 100
)
SELECT '/assistenza?q=' || q FROM (
    SELECT vat_number AS q FROM sample
    UNION ALL SELECT replace(split_part(name, ' ', 1), ' ', '+') FROM sample
    UNION ALL SELECT email FROM sample
    UNION ALL SELECT left(username, 8) FROM sample
    UNION ALL SELECT replace(coalesce(mobile, vat_number), '+', '%2B') FROM sample
) searches;
SQL
    local status
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $(head -1 "$WORK/staff_cookies")" \
        "http://127.0.0.1:$BENCH_PORT$(head -1 "$WORK/searches")")
    [[ "$status" == 200 ]] || { echo "/assistenza answered $status" >&2; exit 1; }
    # Servizio Clienti agents search while on a call: 8 searches in flight at once is a
    # large call centre; 50 shows the saturated machine.
    local in_flight out rps p99 bad
    for in_flight in 2 8 50; do
        say "search: $in_flight in flight, $(wc -l <"$WORK/searches") different searches"
        out=$(BENCH_COOKIES="$WORK/staff_cookies" BENCH_PATHS="$WORK/searches" \
            wrk_run "$in_flight" "http://127.0.0.1:$BENCH_PORT/assistenza")
        read -r rps p99 bad <<<"$out"
        row "support search p99 ms, $in_flight in flight" "$p99" "20" "$(ratio "$p99" 20)" \
            "$rps searches/s over 100,000 companies, VAT/name/email/username/mobile, $bad non-2xx; target <= 1"
    done
    # The capacity is the saturated rate just measured (50 in flight).
    open_loop_row "support search" "100,000 companies" "$rps" --cookies "$WORK/staff_cookies" \
        --paths "$WORK/searches" --url "http://127.0.0.1:$BENCH_PORT/assistenza"
    stop_portal
}

# ---------------------------------------------------------------------------------------
# Memory: resident set of the portal idle after start, and its peak while 200 connections
# mix Gestione Utenze pages (150) with logins (50).
bench_memory() {
    ensure_data
    local db="$DATA_DB"
    local who user_id company_id username
    who=$(activate_legal_rep "$db" GEN-1-0000000)
    read -r user_id company_id username <<<"$who"
    # Login users: the typical company's users, all with the benchmark password.
    local phc
    phc=$("$EXAMPLES/argon2_rate" --print-hash "$PASSWORD")
    sql "$db" -v phc="$phc" -v n="$LOGIN_USERS" <<'SQL' >/dev/null
INSERT INTO users (id, company_id, username, email, profile, state, password_hash, activated_at)
SELECT gen_random_uuid(), c.id, 'bench' || g, 'bench' || g || '@example.it',
       'utilizzatore', 'attivo', :'phc', now()
FROM generate_series(1, :n) g, (SELECT company_id AS id FROM contracts WHERE contract_id = 'GEN-1-0000045') c
ON CONFLICT DO NOTHING;
SQL
    # As in bench_gu: the sessions of the page load log in with the password alone.
    start_portal "$db" MFA_REQUIRED_FOR=
    sleep 2
    local idle
    idle=$(rss_kib "$PORTAL_PID")
    python3 bench/login_sessions.py --port "$BENCH_PORT" --username "$username" \
        --password "$PASSWORD" --count 150 >"$WORK/cookies"
    say "memory: 150 page connections and 50 login workers for ${BENCH_SECONDS}s"
    BENCH_COOKIES="$WORK/cookies" wrk -t1 -c150 -d"${BENCH_SECONDS}s" -s bench/cookies.lua \
        "http://127.0.0.1:$BENCH_PORT/area-clienti/gestione-utenze" >"$WORK/wrk_memory" &
    local wrk_pid=$!
    "$EXAMPLES/login_load" --port "$BENCH_PORT" --users "$LOGIN_USERS" --password "$PASSWORD" \
        --seconds "$BENCH_SECONDS" --workers 50 >"$WORK/login_memory"
    wait "$wrk_pid"
    local peak
    peak=$(hwm_kib "$PORTAL_PID")
    cat "$WORK/wrk_memory" "$WORK/login_memory" >&2
    row "RSS MiB idle after start" "$(calc "round($idle / 1024, 1)")" "64" "$(ratio "$idle" 65536)" "target <= 1"
    row "RSS MiB peak at 200 connections" "$(calc "round($peak / 1024, 1)")" "160" "$(ratio "$peak" 163840)" \
        "150 page + 50 login connections; $(grep -o 'Requests/sec:.*' "$WORK/wrk_memory"), logins $(sed -n 's/.*logins_per_sec=\([0-9.]*\).*/\1/p' "$WORK/login_memory")/s; target <= 1"
    stop_portal
}

# ---------------------------------------------------------------------------------------
# Outbox: $OUTBOX_EMAILS username emails queued by an import, delivered by the portal's
# worker to a local SMTP sink over pooled connections; every one must arrive once.
bench_outbox() {
    local db="bench_outbox_$$" file="$WORK/outbox.jsonl"
    new_db "$db"
    DATABASE_URL=$(url_of "$db") "$BIN" migrate >/dev/null
    "$BIN" generate-contracts --companies "$OUTBOX_EMAILS" --out "$file" --seed 2 >/dev/null
    RUST_LOG=warn DATABASE_URL=$(url_of "$db") "$BIN" import "$file" </dev/null >/dev/null
    local queued sink_port=$((BENCH_PORT + 1))
    queued=$(sql "$db" -c "SELECT count(*) FROM outbox WHERE state = 'queued'")
    say "outbox: $queued emails queued"
    "$EXAMPLES/smtp_sink" --port "$sink_port" --expect "$queued" >"$WORK/sink.out" &
    local sink_pid=$!
    PIDS+=("$sink_pid")
    sleep 0.5
    start_portal "$db" SMTP_URL="smtp://127.0.0.1:$sink_port"
    local deadline=$((SECONDS + 120))
    while kill -0 "$sink_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    cat "$WORK/sink.out" >&2
    local sent received rate
    sent=$(sql "$db" -c "SELECT count(*) FROM outbox WHERE state = 'sent'")
    received=$(sed -n 's/^received=//p' "$WORK/sink.out")
    rate=$(sed -n 's/^per_sec=//p' "$WORK/sink.out")
    row "outbox emails/s to a local SMTP sink" "${rate:-0}" "500" "$(ratio "${rate:-0}" 500)" \
        "$queued queued, ${received:-0} received, $sent marked sent; target >= 1 and none lost"
    stop_portal
}

# ---------------------------------------------------------------------------------------
# Login: sustained successful logins/s against the raw Argon2id verify rate (same
# parameters, same cores); then p99 at 80% of that capacity; then twice the capacity,
# where the portal must refuse fast (503 + Retry-After) instead of queueing.
bench_login() {
    local db="bench_login_$$"
    new_db "$db"
    DATABASE_URL=$(url_of "$db") "$BIN" migrate >/dev/null
    local phc
    phc=$("$EXAMPLES/argon2_rate" --print-hash "$PASSWORD")
    sql "$db" -v phc="$phc" -v n="$LOGIN_USERS" -v totp="$TOTP_SECRET" <<'SQL' >/dev/null
INSERT INTO companies (id, name, vat_number) VALUES (gen_random_uuid(), 'Bench S.r.l.', '01234567897');
INSERT INTO users (id, company_id, username, email, profile, state, password_hash, activated_at)
SELECT gen_random_uuid(), c.id, 'bench' || g, 'bench' || g || '@example.it',
       'utilizzatore', 'attivo', :'phc', now()
FROM generate_series(1, :n) g, companies c;
-- Every user has the authenticator app: the login includes its second step.
INSERT INTO authenticator_apps (id, user_id, secret, created_at)
SELECT gen_random_uuid(), id, decode(:'totp', 'hex'), now() FROM users;
SQL
    start_portal "$db"
    local load=("$EXAMPLES/login_load" --port "$BENCH_PORT" --users "$LOGIN_USERS" --password "$PASSWORD"
                --seconds "$BENCH_SECONDS" --totp-secret "$TOTP_SECRET")
    # Each run starts on other users: an app code is accepted once per 30-second step.
    "${load[@]}" --seconds 3 --workers "$LOGIN_WORKERS" --offset 0 >/dev/null # warm-up
    # The reference right before and right after the closed run, the portal idle: on a
    # shared machine the cores' speed drifts within a minute, and one reference measured
    # apart moved the ratio by a tenth.
    argon2_rate() { "$EXAMPLES/argon2_rate" --threads "$(nproc)" --seconds "$ARGON2_SECONDS" | sed -n 's/^verifies_per_sec=//p'; }
    say "login: raw Argon2id verify rate ($(nproc) threads, ${ARGON2_SECONDS}s)"
    local raw_before raw_after raw
    raw_before=$(argon2_rate)
    say "login: capacity, $LOGIN_WORKERS logins in flight"
    local closed paced over
    closed=$("${load[@]}" --workers "$LOGIN_WORKERS" --offset 1000)
    echo "$closed" >&2
    say "login: raw Argon2id verify rate again"
    raw_after=$(argon2_rate)
    raw=$(calc "round(($raw_before + $raw_after) / 2, 1)")
    local capacity
    capacity=$(field logins_per_sec "$closed")
    say "login: paced at 80% of capacity"
    paced=$("${load[@]}" --workers 32 --offset 4000 --rate "$(calc "round(0.8 * $capacity, 1)")")
    echo "$paced" >&2
    say "login: paced at twice the capacity"
    over=$("${load[@]}" --workers 64 --offset 6000 --rate "$(calc "round(2 * $capacity, 1)")")
    echo "$over" >&2
    row "logins/s vs raw Argon2id verifies/s" "$capacity" "$raw" "$(ratio "$capacity" "$raw")" \
        "reference: mean of $raw_before before and $raw_after after; $LOGIN_WORKERS in flight, p99 $(field p99_ms "$closed") ms, failures $(field failures "$closed"); target >= 0.8"
    row "login p99 ms at 80% of capacity" "$(field p99_ms "$paced")" "150" "$(ratio "$(field p99_ms "$paced")" 150)" \
        "$(field logins_per_sec "$paced") ok/s, p50 $(field p50_ms "$paced") ms, failures $(field failures "$paced"); target <= 1"
    row "login at 2x capacity: refusals p99 ms" "$(field refused_p99_ms "$over")" "150" "$(ratio "$(field refused_p99_ms "$over")" 150)" \
        "$(field logins_per_sec "$over") ok/s, p99 ok $(field p99_ms "$over") ms, $(field refused "$over") answered 503 + Retry-After, failures $(field failures "$over"); target <= 1"
    stop_portal
}

for section in "${SECTIONS[@]}"; do
    case "$section" in
        import) bench_import ;;
        gu) bench_gu ;;
        search) bench_search ;;
        memory) bench_memory ;;
        outbox) bench_outbox ;;
        login) bench_login ;;
        *) echo "unknown section: $section (import, gu, search, memory, outbox, login)" >&2; exit 2 ;;
    esac
done

echo
echo "$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(date -u +%Y-%m-%dT%H:%MZ)"
printf '| %-44s | %10s | %10s | %6s | %s |\n' "measure" "value" "reference" "ratio" "notes"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "------------" "------------" "--------" "---"
printf '%s\n' "${ROWS[@]}"
