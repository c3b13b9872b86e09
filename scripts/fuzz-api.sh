#!/usr/bin/env bash
# Fuzzes phiguard's HTTP API with schemathesis, driven by the server's own /openapi.json.
#
# From a fresh checkout it creates a Python virtualenv with schemathesis, builds `phiguard`,
# starts `phiguard serve` on a free loopback port with a fresh data directory, seeds a tenant,
# actors of several roles, their credentials and two records (fictional people), then runs
# schemathesis once per role, each with that role's bearer token and a purpose of use. It then
# checks that the server still serves, counts 5xx answers from the server's own /metrics, looks
# for panics in the server log, and stops the server.
#
# Usage: scripts/fuzz-api.sh [EXTRA SCHEMATHESIS RUN OPTIONS]
#
# Environment (not PHIGUARD_*: phiguard reads every PHIGUARD_* variable as configuration):
#   FUZZ_API_EXAMPLES   test cases per operation and phase (default 60)
#   FUZZ_API_VENV       where the virtualenv lives (default /tmp/phiguard-fuzz-venv)
#   FUZZ_API_WORK       working directory for data, logs and reports (default: a new one
#                            under /tmp, printed at the end and kept)
#   FUZZ_API_SEED       schemathesis seed, for repeating a run (default 20260101)
#   CARGO_TARGET_DIR         cargo's target directory (default ./target)
#
# Exit status: 0 when every run passed its checks, the server never answered 5xx, never
# panicked and still serves; 1 otherwise. Only loopback addresses are contacted.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
VENV=${FUZZ_API_VENV:-/tmp/phiguard-fuzz-venv}
WORK=${FUZZ_API_WORK:-$(mktemp -d /tmp/phiguard-fuzz.XXXXXX)}
EXAMPLES=${FUZZ_API_EXAMPLES:-60}
SEED=${FUZZ_API_SEED:-20260101}
SCHEMATHESIS_VERSION=4.32.5
TENANT=fuzz-clinic

DATA=$WORK/data
BIN=$TARGET_DIR/debug/phiguard
SERVER_PID=
mkdir -p "$WORK/reports"

say() { printf '\n== %s\n' "$*"; }

stop_server() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}
trap stop_server EXIT

say "virtualenv with schemathesis $SCHEMATHESIS_VERSION in $VENV"
if [[ ! -x $VENV/bin/schemathesis ]] ||
    ! "$VENV/bin/schemathesis" --version | grep -q "$SCHEMATHESIS_VERSION"; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi
PY=$VENV/bin/python

say "building phiguard"
(cd "$ROOT" && CARGO_TARGET_DIR=$TARGET_DIR cargo build --quiet -p phiguard)

phiguard() { "$BIN" --data-dir "$DATA" "$@"; }

say "seeding $DATA"
# The first command creates the vault and prints the bootstrap administrator's token once.
BOOTSTRAP=$(phiguard tenants create "$TENANT" --name "Fuzz Clinic" --time-zone America/Chicago |
    grep -o 'phg_[a-z2-7_]*' | head -n 1)
[[ -n $BOOTSTRAP ]] || { echo "no bootstrap token was printed" >&2; exit 1; }

# role name, actor kind, purpose of use. The administrator goes last: it may dispose of the
# seeded subjects, and the readers should find them first.
PROFILES=(
    "clinician user TREAT"
    "support user HOPERAT"
    "storefront service HOPERAT"
    "tenant_admin user HSYSADMIN"
)
declare -A TOKENS PURPOSES
for profile in "${PROFILES[@]}"; do
    read -r role kind purpose <<<"$profile"
    actor="fuzz-${role//_/-}"
    phiguard actors create --tenant "$TENANT" "$actor" --kind "$kind" --role "$role" >/dev/null
    TOKENS[$role]=$(phiguard credentials issue --tenant "$TENANT" --actor "$actor" \
        --lifetime-minutes 600 --label fuzzing | tail -n 1)
    PURPOSES[$role]=$purpose
done
# A clinician that no run is pointed at (the administrator's run may disable or change the
# actors above), for reading a seeded record once the runs are over.
phiguard actors create --tenant "$TENANT" post-run-reader --kind user --role clinician >/dev/null
READER=$(phiguard credentials issue --tenant "$TENANT" --actor post-run-reader \
    --lifetime-minutes 600 --label fuzzing | tail -n 1)

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT

say "starting phiguard serve on $BASE (log: $WORK/server.log)"
# The binary itself, not the shell function, so that $! is the server's own process id.
"$BIN" --data-dir "$DATA" serve --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.2
done
curl -fsS "$BASE/healthz" >/dev/null

# Two records about fictional people, stored by the clinician, so that reads, lists, searches,
# restrictions and disposals have something real to find next to the generated ids.
post_record() {
    curl -fsS -X POST "$BASE/v1/tenants/$TENANT/records" \
        -H "Authorization: Bearer ${TOKENS[clinician]}" -H 'X-Purpose-Of-Use: TREAT' \
        -H 'Content-Type: application/json' --data-binary @-
}
FIRST=$(post_record <<'JSON'
{"record_type": "fhir.Patient", "document": {
  "resourceType": "Patient",
  "identifier": [{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-41-2087"}],
  "name": [{"use": "official", "family": "Vantongeren", "given": ["Ilse", "Marit"]}],
  "telecom": [{"system": "phone", "value": "555-014-2270"},
              {"system": "email", "value": "ilse.vantongeren@example.org"}],
  "gender": "female", "birthDate": "1961-03-09",
  "address": [{"line": ["17 Quarry Lane"], "city": "Galesburg", "state": "IL",
               "postalCode": "61401"}]}}
JSON
)
SECOND=$(post_record <<'JSON'
{"record_type": "fhir.Condition", "document": {
  "resourceType": "Condition", "clinicalStatus": {"coding": [{"code": "active"}]},
  "code": {"text": "Seasonal allergic rhinitis"}, "onsetDateTime": "2019-04-02"}}
JSON
)
field() { "$PY" -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
RECORDS="\"$(field record_id <<<"$FIRST")\", \"$(field record_id <<<"$SECOND")\""
SUBJECTS="\"$(field subject_id <<<"$FIRST")\", \"$(field subject_id <<<"$SECOND")\""
FIRST_RECORD=$(field record_id <<<"$FIRST")

# Path parameters: the tenant is always the credential's (other tenants are refused before
# anything else happens), ids are the seeded ones half of the time and generated otherwise.
cat >"$WORK/schemathesis.toml" <<TOML
[parameters]
"path.tenant" = "$TENANT"
"path.record" = { dictionary = "records", probability = 0.5 }
"path.subject" = { dictionary = "subjects", probability = 0.5 }
"path.actor" = { dictionary = "actors", probability = 0.5 }
"query.actor" = { dictionary = "actors", probability = 0.5 }

[dictionaries.records]
values = [$RECORDS]

[dictionaries.subjects]
values = [$SUBJECTS]

# Not the administrator (its run would disable or demote itself and test nothing afterwards),
# nor the reader kept for the check after the runs.
[dictionaries.actors]
values = ["fuzz-clinician", "fuzz-support", "fuzz-storefront"]

# Schema-valid requests that the server still refuses, for reasons a JSON Schema cannot state:
# the record type or search field must exist for the tenant, a body's id or name must equal the
# path's, an import body must be a FHIR bundle or a Shopify order, a policy must pass Cedar's
# validator, a tenant id may be taken, a lifetime written as 14117.0 is not an integer to serde.
[[operations]]
include-operation-id = ["createRecord", "createSubjectRecord", "searchRecords", "putActor",
    "putRecordType", "putAttributeMap", "importRecords", "putPolicy", "createTenant",
    "createActor", "issueCredential"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409",
    "422"]

# A break-glass reason is accepted with purpose ETREAT only; the header's schema cannot depend on
# another header.
[[operations]]
include-operation-id = ["readRecord", "listSubjectRecords"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404"]
TOML

# Operations by which the administrator can lock itself out (changing or replacing actors,
# revoking credentials) run in a last pass of their own, after everything else was tested.
SELF_HARMING=(--include-operation-id createActor --include-operation-id putActor
    --include-operation-id revokeCredential)
RUNS=(clinician support storefront tenant_admin tenant_admin-last)

STATUS=0
for run in "${RUNS[@]}"; do
    role=${run%-last}
    if [[ $run == *-last ]]; then
        selection=("${SELF_HARMING[@]}")
    elif [[ $role == tenant_admin ]]; then
        selection=("${SELF_HARMING[@]//--include/--exclude}")
    else
        selection=()
    fi
    say "schemathesis as $role with X-Purpose-Of-Use: ${PURPOSES[$role]} ${selection[*]}"
    # One worker: with several, Hypothesis 6 on Python 3.11 sometimes fails inside the
    # generator itself ("AST constructor recursion depth mismatch"), not against the server.
    "$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" --no-color run \
        "$BASE/openapi.json" \
        --header "Authorization: Bearer ${TOKENS[$role]}" \
        --header "X-Purpose-Of-Use: ${PURPOSES[$role]}" \
        --checks all \
        --max-examples "$EXAMPLES" \
        --seed "$SEED" \
        --workers 1 \
        --request-timeout 35 \
        --report junit,ndjson \
        --report-dir "$WORK/reports/$run" \
        "${selection[@]}" "$@" >"$WORK/schemathesis-$run.txt" 2>&1 || STATUS=1
    # The summary; each failure's request, response and curl line are in the full output.
    sed -n '/= SUMMARY =/,$p' "$WORK/schemathesis-$run.txt"
    grep -E '^_{3,} .* _{3,}$|^- ST[0-9]+' "$WORK/schemathesis-$run.txt" || true
done

say "after the runs"
HEALTH=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/healthz")
READ=$(curl -sS -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $READER" -H 'X-Purpose-Of-Use: TREAT' \
    "$BASE/v1/tenants/$TENANT/records/$FIRST_RECORD")
curl -sS "$BASE/metrics" >"$WORK/metrics.txt"
SERVER_ERRORS=$(awk '/^phiguard_http_requests_total\{.*status="5xx"\}/ { n += $2 }
    END { print n + 0 }' "$WORK/metrics.txt")
REQUESTS=$(awk '/^phiguard_http_requests_total\{/ { n += $2 } END { print n + 0 }' \
    "$WORK/metrics.txt")
PANICS=$(grep -c 'panicked' "$WORK/server.log" || true)

echo "requests served:            $REQUESTS"
echo "5xx answers (from /metrics): $SERVER_ERRORS"
grep '^phiguard_http_requests_total{.*status="5xx"} [1-9]' "$WORK/metrics.txt" || true
echo "panics in the server log:   $PANICS"
echo "GET /healthz after the run: $HEALTH"
echo "clinician reads a record:   $READ (403 if a run restricted the subject, 404 if disposed)"

[[ $HEALTH == 200 ]] || STATUS=1
[[ $READ == 200 || $READ == 403 || $READ == 404 ]] || STATUS=1
[[ $SERVER_ERRORS == 0 ]] || STATUS=1
[[ $PANICS == 0 ]] || STATUS=1

stop_server
echo "work directory (data, server log, reports): $WORK"
exit "$STATUS"
