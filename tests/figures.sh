#!/usr/bin/env bash
# Attack figures: starts a private stack on loopback (MariaDB, intukad behind
# lighttpd, the webhook deliverer, as deploy/test.sh does), runs each family
# of attacks against it and prints one line per family:
#
#   figure: <n> <family> | tried T | refused R | lost L | 5xx X | recover S | took D s | <verdict> | <notes>
#
# ("-" where a count means nothing for the family), then writes
# tests/FIGURES.md from those lines with the date, the commit and the
# machine. Verdicts: "ok" (the product held), "DEFECT" (a forged token
# accepted, a limit passed, a write lost, a 5xx where none belongs...: the
# notes say which request), "FAILED" (the family itself could not run; the
# notes say why). Not run by CI: about 10 minutes, and most figures are
# measurements, not pass/fail checks.
#
#   tests/figures.sh
#
# Environment: INTUKA_FIGURES_FAMILIES (family names to run, e.g.
# "jwt ssrf"; default all; a partial run prints its lines but leaves
# tests/FIGURES.md alone), INTUKA_FIGURES_KEEP=1 keeps the state directory,
# INTUKA_FIGURES_FUZZ_SECONDS (default 30 per fuzz target).
# Runs as root on Debian 12 (installs sqlmap if missing). Exit status 0 when
# every family ran and held, 1 otherwise (also when the stack cannot start).
set -euo pipefail
# A failing command inside $(...) fails the family too, not only the line.
shopt -s inherit_errexit

TESTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEPLOY_DIR="$(cd "$TESTS_DIR/../deploy" && pwd)"

# One figures run at a time on a machine: they measure timings. flock -o
# closes the lock's descriptor in the script it runs, so the daemons started
# below (MariaDB, intukad, lighttpd) never hold the lock after we are gone.
FIGURES_LOCK=/run/lock/intuka-figures.lock
if [[ "${INTUKA_FIGURES_LOCKED:-}" != 1 ]]; then
	rc=0
	INTUKA_FIGURES_LOCKED=1 flock -o -E 75 -w 1800 "$FIGURES_LOCK" "${BASH_SOURCE[0]}" "$@" || rc=$?
	((rc != 75)) || printf '[figures] another run held %s for 30 minutes\n' "$FIGURES_LOCK" >&2
	exit "$rc"
fi

# shellcheck source=deploy/lib/common.sh
source "$DEPLOY_DIR/lib/common.sh"
# shellcheck source=deploy/lib/deps.sh
source "$DEPLOY_DIR/lib/deps.sh"
# shellcheck source=deploy/lib/build.sh
source "$DEPLOY_DIR/lib/build.sh"
# shellcheck source=deploy/lib/mariadb.sh
source "$DEPLOY_DIR/lib/mariadb.sh"
# The product's per-address login limit is 10 per 15 minutes; the stack
# starts with 100 so the setup's own logins leave room, and the rate-limit
# family measures that value. Afterwards the limits are raised (a reload) so
# the other families are not throttled by it.
export INTUKA_STACK_LOGIN_ADDRESS_LIMIT=100
# Webhooks may reach public addresses only (the product's default): the SSRF
# family measures that rule.
export INTUKA_STACK_WEBHOOK_ALLOW_PRIVATE=0
# shellcheck source=deploy/lib/stack.sh
source "$DEPLOY_DIR/lib/stack.sh"

CLIENT="$TESTS_DIR/figures_client.py"
ITEST_BIN="$INTUKA_REPO/tests/integration/intuka-itest"
FIGURES_FILE="$TESTS_DIR/FIGURES.md"
FUZZ_SECONDS="${INTUKA_FIGURES_FUZZ_SECONDS:-30}"
ALL_FAMILIES=(jwt rate_limits sql_injection worker_kills mariadb_restart ssrf strict_json slow_readers
	forgot_timing fuzzing)
read -r -a FAMILIES <<<"${INTUKA_FIGURES_FAMILIES:-${ALL_FAMILIES[*]}}"

TEST_ROOT=""  # mktemp directory: database, stack, work files
DB_DIR=""
SECRETS=""
STATE=""      # the stack's state directory
BASE=""       # http://127.0.0.1:PORT
ROWS=""       # directory of the families' lines, one file each
STARTED_S=$SECONDS

# Fixtures, set by make_fixtures.
PASSWORD="figures-password-1"
TENANT=figa
OTHER_TENANT=figb
TENANT_ID=""
ADMIN_TOKEN=""
SECRET_KEY=""
WORKSPACE=figures-shop
LEAD_ID=""

# ---------------------------------------------------------------- helpers

# figure TRIED REFUSED LOST FIVEXX RECOVER VERDICT NOTES: the family's line
# (run_family adds its number, name and duration).
figure() {
	printf 'tried %s | refused %s | lost %s | 5xx %s | recover %s | %s | %s\n' "$@" >"$FAMILY_ROW"
}

# verdict_of CONDITION...: "ok" when the test command holds, else "DEFECT".
verdict_of() {
	if "$@"; then printf 'ok\n'; else printf 'DEFECT\n'; fi
}

curl_api() {
	curl -sS --max-time 30 "$@"
}

# api_login EMAIL PASSWORD SLUG: prints the access token, or fails.
api_login() {
	local body answer token
	body=$(jq -nc --arg e "$1" --arg p "$2" --arg s "$3" '{email: $e, password: $p, tenantSlug: $s}')
	answer=$(curl_api -H 'Content-Type: application/json' --data-binary "$body" "$BASE/api/v1/auth/login")
	token=$(jq -r '.data.accessToken // empty' <<<"$answer")
	[[ -n "$token" ]] || { log "login of $1 failed: $answer"; return 1; }
	printf '%s\n' "$token"
}

# make_user SLUG EMAIL [ROLE]: a user with $PASSWORD.
make_user() {
	local -a role=()
	[[ -z "${3:-}" ]] || role=(--role "$3")
	printf '%s\n' "$PASSWORD" | intuka_admin -c "$(cat "$STATE/config")" user create "$1" "$2" "${role[@]}" >/dev/null
}

db_sql() {
	mariadb_sql "$DB_DIR" "$INTUKA_DB_NAME" -e "$1"
}

master_pid() { intukad_pid "$STATE"; }

# The master's worker processes, one pid a line.
worker_pids() {
	local master
	master=$(master_pid)
	tr ' ' '\n' <"/proc/$master/task/$master/children" 2>/dev/null | grep -E '^[0-9]+$' || true
}

health_ok() {
	[[ "$(curl -s --max-time 2 "$BASE/api/v1/health" || true)" == *'"database":{"status":"ok"'* ]]
}

# Healthy, and the master has all its workers.
stack_whole() {
	health_ok && (($(worker_pids | wc -l) == INTUKA_STACK_WORKERS))
}

access_log() { printf '%s/lighttpd/access.log\n' "$STATE"; }

# Lines in the web server's access log so far (a mark for access_log_since).
access_log_mark() {
	wc -l <"$(access_log)"
}

# access_log_since MARK [USER_AGENT]: "REQUESTS FOURXX FIVEXX" logged after
# MARK (by that user agent).
access_log_since() {
	local mark="$1" agent="${2:-}"
	tail -n +"$((mark + 1))" "$(access_log)" | { grep -F -- "$agent" || true; } |
		awk '{ if (match($0, /" [0-9][0-9][0-9] /)) { n++; c = substr($0, RSTART + 2, 1); if (c == "4") r++; if (c == "5") f++ } }
			END { printf "%d %d %d\n", n, r, f }'
}

# wait_for_window WINDOW_S MARGIN_S: rate windows are aligned to the clock;
# a burst must not straddle two of them.
wait_for_window() {
	local window_s="$1" margin_s="$2" left_s
	left_s=$((window_s - $(date +%s) % window_s))
	if ((left_s < margin_s)); then
		log "waiting ${left_s}s for a fresh ${window_s}s rate window"
		sleep $((left_s + 1))
	fi
}

# stack_reload KEY=VALUE...: rewrites those keys of the stack's configuration
# and reloads the master (SIGHUP); returns once the new generation serves.
stack_reload() {
	local conf pair key lines
	conf=$(cat "$STATE/config")
	for pair in "$@"; do
		key="${pair%%=*}"
		grep -q "^$key = " "$conf" || { log "no key $key in $conf"; return 1; }
		sed -i "s|^$key = .*|$key = ${pair#*=}|" "$conf"
	done
	lines=$(wc -l <"$STATE/intukad.log")
	kill -HUP "$(master_pid)"
	wait_until 10 reload_logged "$lines" || { log "no reload in the log within 10 s"; return 1; }
	wait_until 20 stack_whole || { log "stack not whole 20 s after the reload"; return 1; }
}

reload_logged() {
	(($(tail -n +"$(($1 + 1))" "$STATE/intukad.log" | grep -c 'configuration reloaded' || true) > 0))
}

# count_status STATUSES_JSON PATTERN: requests whose status matches the regex.
count_status() {
	jq --arg p "$2" '[.statuses | to_entries[] | select(.key | test($p)) | .value] | add // 0' <<<"$1"
}

# median: of the numbers on standard input.
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---------------------------------------------------------------- 1. jwt

# Forged and malformed access tokens on two routes that take a JWT; only the
# genuine token may pass.
family_jwt() {
	local corpus="$WORK/jwt.tsv" name token route status revoked
	local tried=0 refused=0 fivexx=0 genuine=0 forged=()
	local -A answers=()
	python3 "$CLIENT" jwt-corpus --token "$ADMIN_TOKEN" --secrets "$SECRETS" >"$corpus"
	# A genuine token whose session has ended.
	revoked=$(api_login "admin@$TENANT.test" "$PASSWORD" "$TENANT")
	curl_api -o /dev/null -X POST -H "Authorization: Bearer $revoked" -H 'Content-Length: 0' "$BASE/api/v1/auth/logout"
	printf 'token of a logged-out session\t%s\n' "$revoked" >>"$corpus"
	while IFS=$'\t' read -r name token; do
		for route in /api/v1/auth/me /api/v1/find/provision/keys; do
			status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $token" \
				"$BASE$route" || true)
			printf '%s\t%s\t%s\n' "$status" "$route" "$name" >>"$WORK/jwt-answers.tsv"
			tried=$((tried + 1))
			answers[$status]=$((${answers[$status]:-0} + 1))
			if [[ "$status" == 2* && "$name" == legitimate ]]; then
				genuine=$((genuine + 1))
			elif [[ "$status" == 2* ]]; then
				forged+=("$name on $route")
			elif [[ "$status" == 5* || "$status" == 000 ]]; then
				fivexx=$((fivexx + 1))
			else
				refused=$((refused + 1))
			fi
		done
	done <"$corpus"
	local histogram="" code
	for code in $(printf '%s\n' "${!answers[@]}" | sort); do histogram+=" $code x${answers[$code]},"; done
	figure "$tried" "$refused" - "$fivexx" - \
		"$(verdict_of test $((genuine == 2 && ${#forged[@]} == 0 && fivexx == 0)) -eq 1)" \
		"$(($(wc -l <"$corpus") - 1)) bad tokens x 2 routes: genuine token accepted on $genuine of 2 routes, forged or malformed accepted ${#forged[@]}${forged[*]:+ (${forged[*]})}; answers${histogram%,}"
}

# ---------------------------------------------------------------- 2. rate limits

# burst_accepted NAME LIMIT BURST_ARGS...: one burst with spoofed client
# address headers; appends "NAME: accepted A of N (limit L)" to NOTES and
# counts into the totals. Accepted = answered, and not 429.
burst_accepted() {
	local name="$1" limit="$2" result count accepted fivexx
	shift 2
	result=$(python3 "$CLIENT" burst --url "$BASE" --spoof "$@")
	count=$(count_status "$result" '.')
	fivexx=$(count_status "$result" '^(5|0)')
	accepted=$((count - $(count_status "$result" '^429$') - fivexx))
	RL_TRIED=$((RL_TRIED + count))
	RL_REFUSED=$((RL_REFUSED + count - accepted - fivexx))
	RL_FIVEXX=$((RL_FIVEXX + fivexx))
	RL_NOTES+="$name: $accepted of $count accepted (limit $limit, $(jq -r .seconds <<<"$result") s); "
	((accepted == limit)) || RL_BROKEN+="$name accepted $accepted, limit $limit; "
}

# Parallel bursts, each request claiming another client address through
# X-Forwarded-For, X-Real-IP, Forwarded and the like: exactly the limit is
# accepted, whatever the headers say.
family_rate_limits() {
	local user_token
	RL_TRIED=0 RL_REFUSED=0 RL_FIVEXX=0 RL_NOTES="" RL_BROKEN=""
	make_user "$TENANT" "rl-login@$TENANT.test" user
	make_user "$TENANT" "rl-forgot@$TENANT.test" user
	make_user "$TENANT" "rl-user@$TENANT.test" user
	user_token=$(api_login "rl-user@$TENANT.test" "$PASSWORD" "$TENANT")

	wait_for_window "$(config_value login_rate_window_s)" 30
	burst_accepted "login per account" "$(config_value login_rate_limit)" \
		--method POST --path /api/v1/auth/login --count 40 --parallel 20 \
		--body "{\"email\":\"rl-login@$TENANT.test\",\"password\":\"wrong-password-{i}\",\"tenantSlug\":\"$TENANT\"}"

	# The address bucket starts empty (as docs/operations.md frees a bucket),
	# so the setup's own logins do not count.
	wait_for_window "$(config_value login_rate_window_s)" 30
	db_sql "DELETE FROM rate_counters WHERE tenant_id = 0 AND bucket LIKE 'la:%'"
	burst_accepted "login per address" "$(config_value login_address_rate_limit)" \
		--method POST --path /api/v1/auth/login --count 150 --parallel 30 \
		--body "{\"email\":\"nobody-{i}@$TENANT.test\",\"password\":\"wrong-password-1\",\"tenantSlug\":\"$TENANT\"}"

	wait_for_window "$(config_value forgot_rate_window_s)" 30
	burst_accepted "forgot per account" "$(config_value forgot_rate_limit)" \
		--method POST --path /api/v1/auth/password/forgot --count 20 --parallel 20 \
		--body "{\"email\":\"rl-forgot@$TENANT.test\",\"tenantSlug\":\"$TENANT\"}"

	wait_for_window 60 25
	burst_accepted "user per minute" "$(config_value rate_limit_per_minute)" \
		--path /api/v1/auth/me --count 260 --parallel 26 --header "Authorization: Bearer $user_token"

	((RL_FIVEXX == 0)) || RL_BROKEN+="$RL_FIVEXX answers 5xx or none; "
	figure "$RL_TRIED" "$RL_REFUSED" - "$RL_FIVEXX" - "$(verdict_of test -z "$RL_BROKEN")" \
		"${RL_BROKEN:+NOT HELD: $RL_BROKEN}${RL_NOTES%; }"
}

config_value() {
	sed -n "s/^$1 = //p" "$(cat "$STATE/config")"
}

# ---------------------------------------------------------------- 3. sql injection

# sqlmap in batch mode against representative parameters: list filters, sort,
# q, the find search body and a path id, with a valid credential. Bounded by
# level 1 / risk 1, a 2 s time-based delay and a timeout per target.
family_sql_injection() {
	local out="$WORK/sqlmap" mark target_number=0 injectable=() heuristic=() requests refused fivexx log_file names=""
	local -a common=(--batch --flush-session --level=1 --risk=1 --technique=BEUST --time-sec=2 --threads=4
		--timeout=15 --retries=1 --disable-coloring --output-dir="$out")
	local jwt="Authorization: Bearer $ADMIN_TOKEN" key="Authorization: Bearer $SECRET_KEY"
	mkdir -p "$out"
	mark=$(access_log_mark)
	# NAME | sqlmap arguments (one line each; eval'd for the quoting).
	local targets=(
		"leads q|-u '$BASE/api/v1/sales/leads?q=Smith' -p q -H '$jwt'"
		"leads sortBy, sortOrder|-u '$BASE/api/v1/sales/leads?sortBy=lastName&sortOrder=asc' -p sortBy,sortOrder -H '$jwt'"
		"leads filters|-u '$BASE/api/v1/sales/leads?source=web&status=new&email=a%40b.test' -p source,status,email -H '$jwt'"
		"lead path id|-u '$BASE/api/v1/sales/leads/${LEAD_ID}*' -H '$jwt'"
		"audit filters|-u '$BASE/api/v1/audit?action=auth.login&actorUserId=1' -p action,actorUserId -H '$jwt'"
		"webhooks list|-u '$BASE/api/v1/find/webhooks?name_contains=shop&url_contains=hook&sort_by=name' -p name_contains,url_contains,sort_by -H '$key'"
		"find search body|-u '$BASE/api/v1/find/products/search' --data '{\"text\":\"shoe\",\"filters\":{\"brands\":\"acme\",\"sku\":\"S1\"},\"limit\":5}' -H '$key' -H 'X-Workspace-ID: $WORKSPACE'"
		"find product path id|-u '$BASE/api/v1/find/products/sku-1*' -H '$key' -H 'X-Workspace-ID: $WORKSPACE'"
	)
	local entry name arguments rc notes=""
	for entry in "${targets[@]}"; do
		name="${entry%%|*}"
		arguments="${entry#*|}"
		target_number=$((target_number + 1))
		names+="${names:+, }$name"
		log_file="$out/target-$target_number.log"
		rc=0
		eval "timeout --kill-after=5 90 sqlmap ${common[*]@Q} $arguments" </dev/null >"$log_file" 2>&1 || rc=$?
		if grep -q 'identified the following injection point' "$log_file"; then
			injectable+=("$name: $(grep -m3 '^Parameter:' "$log_file" | tr '\n' ' ')")
		fi
		grep -q 'might be injectable' "$log_file" && heuristic+=("$name")
		! grep -q '429 (Too Many Requests)' "$log_file" || notes+="$name: throttled (429), so weakly tested; "
		if ((rc == 124 || rc == 137)); then
			notes+="$name: stopped at 90 s; "
		elif ! grep -qE 'do not appear to be injectable|identified the following injection point|not injectable' "$log_file"; then
			notes+="$name: sqlmap ended without a verdict ($(grep -m1 -E '\[CRITICAL\]|\[ERROR\]' "$log_file" | cut -c1-120)); "
		fi
	done
	read -r requests refused fivexx < <(access_log_since "$mark" sqlmap)
	local verdict
	verdict=$(verdict_of test $((${#injectable[@]} == 0 && fivexx == 0)) -eq 1)
	[[ -z "$notes" || "$verdict" != ok ]] || verdict=FAILED
	figure "$requests" "$refused" - "$fivexx" - "$verdict" \
		"sqlmap $(sqlmap --version 2>/dev/null | head -n1 | cut -d'#' -f1), level 1, risk 1, techniques BEUST, $target_number targets ($names); injectable parameters found ${#injectable[@]}${injectable[*]:+: ${injectable[*]}}; heuristic hints ${#heuristic[@]}${heuristic[*]:+ (${heuristic[*]})}${notes:+; $notes}"
}

# ---------------------------------------------------------------- 4. worker kills

# check_lost PREFIX ACKNOWLEDGED_FILE: prints the lost/duplicates JSON for the
# creates whose lastName starts with PREFIX.
check_lost() {
	local prefix="$1" acknowledged="$2" rows="$WORK/rows-$1.tsv"
	db_sql "SELECT lead_id, last_name FROM sales_leads WHERE tenant_id = $TENANT_ID AND last_name LIKE '$prefix-%'" >"$rows"
	python3 "$CLIENT" lost "$acknowledged" "$rows"
}

# 8 clients create leads with Idempotency-Keys for 60 s while a worker is
# SIGKILLed every 0.3-1.0 s; what was acknowledged must be in the database,
# once.
family_worker_kills() {
	local seconds=60 prefix="wk$$" result lost kills=0 victims pid client_pid stop_s recover_s=- mark requests fivexx
	local interval_ms
	mark=$(access_log_mark)
	python3 "$CLIENT" creates --url "$BASE" --token "$ADMIN_TOKEN" --clients 8 --seconds "$seconds" --retry-s 30 \
		--prefix "$prefix" --out "$WORK/$prefix.tsv" >"$WORK/$prefix.json" &
	client_pid=$!
	stop_s=$((SECONDS + seconds))
	while ((SECONDS < stop_s)); do
		interval_ms=$((300 + RANDOM % 701))
		sleep "$((interval_ms / 1000)).$(printf '%03d' $((interval_ms % 1000)))"
		mapfile -t victims < <(worker_pids)
		((${#victims[@]} > 0)) || continue
		pid=${victims[RANDOM % ${#victims[@]}]}
		kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
	done
	local stopped_ms
	stopped_ms=$(date +%s%3N)
	if wait_until 30 stack_whole; then
		recover_s=$(awk -v ms=$(($(date +%s%3N) - stopped_ms)) 'BEGIN { printf "%.1f", ms / 1000 }')
	fi
	wait "$client_pid"
	result=$(cat "$WORK/$prefix.json")
	lost=$(check_lost "$prefix" "$WORK/$prefix.tsv")
	read -r requests _ fivexx < <(access_log_since "$mark")
	figure "$(jq .creates <<<"$result")" "$(jq .refused <<<"$result")" "$(jq .lost <<<"$lost")" "$fivexx" "$recover_s" \
		"$(verdict_of test "$(jq '.lost + .duplicates' <<<"$lost")" -eq 0)" \
		"$kills workers SIGKILLed in ${seconds} s under 8 clients; creates acknowledged $(jq .acknowledged <<<"$result") ($(jq .replayed <<<"$result") by a replay after a retry), unanswered $(jq .unanswered <<<"$result"), stored twice $(jq .duplicates <<<"$lost"); $requests requests, the 5xx being the web server's answers for killed workers (retried with the same key); recover = all workers back and healthy after the last kill"
}

# ---------------------------------------------------------------- 5. mariadb restart

# mariadb_restart_with SIGNAL: 2 clients creating leads while MariaDB gets
# SIGNAL and is started again; prints "creates refused lost fivexx outage_s notes".
mariadb_restart_with() {
	local signal="$1" prefix="db${1,,}$$" result lost pid client_pid mark requests fivexx
	mark=$(access_log_mark)
	python3 "$CLIENT" creates --url "$BASE" --token "$ADMIN_TOKEN" --clients 2 --pause-ms 50 --seconds 20 \
		--retry-s 60 --prefix "$prefix" --out "$WORK/$prefix.tsv" >"$WORK/$prefix.json" &
	client_pid=$!
	sleep 5
	pid=$(mariadb_pid "$DB_DIR")
	kill -s "$signal" "$pid"
	proc_wait_gone "$pid" 60 || { log "mariadbd $pid still running 60 s after SIG$signal"; return 1; }
	mariadb_start "$DB_DIR" >/dev/null
	wait "$client_pid"
	result=$(cat "$WORK/$prefix.json")
	lost=$(check_lost "$prefix" "$WORK/$prefix.tsv")
	read -r requests _ fivexx < <(access_log_since "$mark")
	printf '%s %s %s %s %s %s\n' "$(jq .creates <<<"$result")" "$(jq .refused <<<"$result")" \
		"$(jq '.lost + .duplicates' <<<"$lost")" "$fivexx" "$(jq .longest_outage_s <<<"$result")" \
		"SIG$signal: $(jq .acknowledged <<<"$result") acknowledged, $(jq .lost <<<"$lost") lost, $(jq .duplicates <<<"$lost") stored twice, health down $(jq .longest_outage_s <<<"$result") s$(jq -r 'if .still_down then " (STILL DOWN)" else "" end' <<<"$result")"
}

# MariaDB stopped by SIGTERM, then killed by SIGKILL, each time started again
# at once, under light load: acknowledged writes stay, the outage is what
# the health probe (every 100 ms) saw.
family_mariadb_restart() {
	local term kill_
	# Whatever happens here, later families need the database.
	trap 'mariadb_start "$DB_DIR" >/dev/null 2>&1 || true' EXIT
	term=$(mariadb_restart_with TERM)
	wait_until 30 stack_whole
	kill_=$(mariadb_restart_with KILL)
	local -a t k
	read -r -a t <<<"$term"
	read -r -a k <<<"$kill_"
	figure $((t[0] + k[0])) $((t[1] + k[1])) $((t[2] + k[2])) $((t[3] + k[3])) "TERM ${t[4]}, KILL ${k[4]}" \
		"$(verdict_of test $((t[2] + k[2])) -eq 0)" \
		"2 clients creating leads; ${term#* * * * * }; ${kill_#* * * * * }; 5xx = the 503s while the database was away (retried with the same key)"
}

# ---------------------------------------------------------------- 6. ssrf

# webhook_status METHOD PATH URL: the status of a webhook create or change.
webhook_status() {
	local body
	body=$(jq -nc --arg u "$3" '{name: "ssrf", url: $u, events: ["product.upsert"]}')
	[[ "$1" == POST ]] || body=$(jq -nc --arg u "$3" '{url: $u}')
	curl -s -o "$WORK/webhook-answer.json" -w '%{http_code}' --max-time 30 -X "$1" \
		-H "Authorization: Bearer $SECRET_KEY" -H 'Content-Type: application/json' \
		--data-binary "$body" "$BASE/api/v1/find$2" || true
	# For a reader of the kept state: what was answered to which URL.
	printf '\t%s %s %s\t%s\n' "$1" "$2" "$3" "$(jq -c '.error.details // .data.id' "$WORK/webhook-answer.json" 2>/dev/null || true)" \
		>>"$WORK/ssrf-answers.tsv"
}

# Webhook URLs that point inside: private ranges, loopback in its many
# spellings, IPv6 forms carrying IPv4, names resolving to loopback, other
# schemes. Each create must be refused; so must a change of a public
# webhook's URL; a receiver's redirect must not be followed.
family_ssrf() {
	local url status tried=0 refused=0 fivexx=0 accepted=() notes="" own_name=""
	own_name=$(hostname)
	getent hosts "$own_name" >/dev/null 2>&1 || own_name=""
	local -a urls=(
		http://127.0.0.1/ http://127.0.0.1:8080/hook http://127.1/ http://127.0.1.3/ http://0x7f000001/
		http://2130706433/ http://017700000001/ http://0177.0.0.1/ http://127.000.000.001/ http://0/
		http://0.0.0.0/ "http://%31%32%37.0.0.1/" http://localhost/ http://localhost./ http://LOCALHOST/
		${own_name:+"http://$own_name/"}
		"http://[::1]/" "http://[::]/" "http://[::ffff:127.0.0.1]/" "http://[::ffff:7f00:1]/"
		"http://[0:0:0:0:0:ffff:127.0.0.1]/" "http://[::127.0.0.1]/" "http://[64:ff9b::127.0.0.1]/"
		"http://[2002:7f00:1::]/" "http://[fe80::1]/" "http://[fc00::1]/" "http://[fd00:ec2::254]/"
		"http://[ff02::1]/" "http://[::ffff:169.254.169.254]/"
		http://10.0.0.1/ http://10.255.255.254/ http://172.16.0.1/ http://172.31.255.254/ http://192.168.1.1/
		http://100.64.0.1/ http://169.254.169.254/latest/meta-data/ http://169.254.170.2/v2/credentials
		http://224.0.0.1/ http://255.255.255.255/ http://240.0.0.1/ http://198.18.0.1/ http://192.0.0.1/
		"http://[2001:db8::1]/" http://0x0a000001/ http://10.1/ http://3232235777/ http://0xA9FEA9FE/
		http://0251.0376.0251.0376/ http://169.254.43518/
		http://user:pass@93.184.216.34/ http://93.184.216.34@127.0.0.1/ "http://127.0.0.1#@93.184.216.34/"
		"http://127.0.0.1\\@93.184.216.34/" "http://127.0.0.1:80\\@93.184.216.34/"
		http://127.0.0.1.nip.io/ http://localtest.me/ http://169.254.169.254.nip.io/ http://metadata.google.internal/
		file:///etc/passwd gopher://127.0.0.1:6379/_INFO dict://127.0.0.1:11211/ ftp://127.0.0.1/ ldap://127.0.0.1/
		"javascript:alert(1)" //127.0.0.1/ "http:///127.0.0.1/" "http://127.0.0.1 /" "http://[::1"
	)
	for url in "${urls[@]}"; do
		status=$(webhook_status POST /webhooks "$url")
		tried=$((tried + 1))
		case "$status" in
		2*) accepted+=("POST $url") ;;
		5* | 000) fivexx=$((fivexx + 1)) ;;
		*) refused=$((refused + 1)) ;;
		esac
	done

	# A webhook on a public literal address (no DNS needed), then its URL
	# changed to inside addresses.
	local id
	status=$(webhook_status POST /webhooks http://93.184.216.34/hook)
	id=$(jq -r '.data.id // empty' "$WORK/webhook-answer.json")
	if [[ "$status" == 201 && -n "$id" ]]; then
		for url in http://127.0.0.1/ http://169.254.169.254/ "http://[::ffff:10.0.0.1]/" http://0x7f000001/ http://localhost/; do
			status=$(webhook_status PUT "/webhooks/$id" "$url")
			tried=$((tried + 1))
			case "$status" in
			2*) accepted+=("PUT $url") ;;
			5* | 000) fivexx=$((fivexx + 1)) ;;
			*) refused=$((refused + 1)) ;;
			esac
		done
	else
		notes+="a webhook on a public address could not be made (HTTP $status), the PUT cases did not run; "
	fi

	ssrf_redirects
	local dns_note=""
	getent hosts localtest.me >/dev/null 2>&1 || dns_note="; this machine has no DNS: the nip.io, localtest.me and metadata names were refused as unresolvable (same answer), names resolving to loopback are exercised by localhost${own_name:+ and the name of this host, $own_name}"
	figure "$tried" "$refused" - "$fivexx" - \
		"$(verdict_of test $((${#accepted[@]} + fivexx + SSRF_FOLLOWED)) -eq 0)" \
		"webhook_allow_private_targets = 0: ${#urls[@]} URLs on create, 5 on change of a public webhook's URL, accepted ${#accepted[@]}${accepted[*]:+ (${accepted[*]})}; $SSRF_NOTES$dns_note${notes:+; $notes}"
}

# With webhook_allow_private_targets = 1 (a reload), a local receiver that
# answers 302 to another local listener and one that answers 307 to the
# metadata address: the test delivery must report the 3xx and the second
# listener must get nothing. The always-refused ranges stay refused.
ssrf_redirects() {
	local port_a port_b port_c id status code url always_accepted=0
	SSRF_FOLLOWED=0
	SSRF_NOTES=""
	SSRF_STUBS=()
	# The family runs in a subshell: this trap ends the receivers however it ends.
	trap 'kill "${SSRF_STUBS[@]}" 2>/dev/null || true' EXIT
	port_a=$(port_find_free)
	port_b=$(port_find_free)
	port_c=$(port_find_free)
	[[ "$port_a" != "$port_b" && "$port_b" != "$port_c" && "$port_a" != "$port_c" ]] || { log "no three free ports"; return 1; }
	python3 "$CLIENT" stub --port "$port_a" --status 302 --location "http://127.0.0.1:$port_b/inside" \
		--hits "$WORK/stub-a" </dev/null >/dev/null 2>&1 &
	SSRF_STUBS+=($!)
	python3 "$CLIENT" stub --port "$port_b" --hits "$WORK/stub-b" </dev/null >/dev/null 2>&1 &
	SSRF_STUBS+=($!)
	python3 "$CLIENT" stub --port "$port_c" --status 307 --location "http://169.254.169.254/latest/meta-data/" \
		--hits "$WORK/stub-c" </dev/null >/dev/null 2>&1 &
	SSRF_STUBS+=($!)
	touch "$WORK/stub-a" "$WORK/stub-b" "$WORK/stub-c"
	sleep 0.5
	stack_reload webhook_allow_private_targets=1
	for url in "http://127.0.0.1:$port_a/hook" "http://127.0.0.1:$port_c/hook"; do
		status=$(webhook_status POST /webhooks "$url")
		id=$(jq -r '.data.id // empty' "$WORK/webhook-answer.json")
		[[ "$status" == 201 && -n "$id" ]] || { SSRF_NOTES+="redirect receiver $url not accepted (HTTP $status); "; continue; }
		curl_api -o "$WORK/webhook-test.json" -X POST -H "Authorization: Bearer $SECRET_KEY" -H 'Content-Length: 0' \
			"$BASE/api/v1/find/webhooks/$id/test"
		code=$(jq -r '.data.responseCode // "none"' "$WORK/webhook-test.json")
		[[ "$code" == 302 || "$code" == 307 ]] || SSRF_FOLLOWED=$((SSRF_FOLLOWED + 1))
	done
	SSRF_FOLLOWED=$((SSRF_FOLLOWED + $(wc -l <"$WORK/stub-b")))
	# The ranges no setting opens.
	for url in http://169.254.169.254/ "http://[fe80::1]/" http://0.0.0.0/ http://224.0.0.1/ http://240.0.0.1/ \
		"http://[::ffff:169.254.169.254]/" http://0xA9FEA9FE/; do
		status=$(webhook_status POST /webhooks "$url")
		[[ "$status" != 2* ]] || always_accepted=$((always_accepted + 1))
	done
	SSRF_FOLLOWED=$((SSRF_FOLLOWED + always_accepted))
	stack_reload webhook_allow_private_targets=0
	kill "${SSRF_STUBS[@]}" 2>/dev/null || true
	wait "${SSRF_STUBS[@]}" 2>/dev/null || true
	SSRF_NOTES+="with private targets allowed: receivers answering 302 and 307 reached $(wc -l <"$WORK/stub-a") + $(wc -l <"$WORK/stub-c") times by the test delivery, the redirect target $(wc -l <"$WORK/stub-b") times (not followed: the 3xx is the outcome); link-local, unspecified, multicast and reserved addresses still refused ($always_accepted of 7 accepted)"
}

# ---------------------------------------------------------------- 7. strict json

# Bodies that are not strict JSON on five routes (no credential, JWT, secret
# key): each must be a 400, never a 5xx.
family_strict_json() {
	local corpus="$WORK/json" file name status route tried=0 refused=0 fivexx=0 other=()
	python3 "$CLIENT" json-corpus "$corpus"
	# METHOD PATH CREDENTIAL
	local routes=(
		"POST /api/v1/auth/login -"
		"POST /api/v1/sales/leads $ADMIN_TOKEN"
		"PATCH /api/v1/sales/leads/$LEAD_ID $ADMIN_TOKEN"
		"POST /api/v1/find/products $SECRET_KEY"
		"POST /api/v1/find/products/search $SECRET_KEY"
	)
	local method path credential
	for file in "$corpus"/*.body; do
		name=$(cat "${file%.body}.name")
		for route in "${routes[@]}"; do
			read -r method path credential <<<"$route"
			local -a auth=()
			[[ "$credential" == - ]] || auth=(-H "Authorization: Bearer $credential")
			status=$(curl -s -o "$WORK/json-answer.json" -w '%{http_code}' --max-time 30 -X "$method" "${auth[@]}" \
				-H 'Content-Type: application/json' -H "X-Workspace-ID: $WORKSPACE" \
				--data-binary @"$file" "$BASE$path" || true)
			tried=$((tried + 1))
			# Refused as a body that is not strict JSON (a "body" detail), not
			# for some field of a body that was read.
			if [[ "$status" == 400 ]] && ! jq -e '.error.details | any(.field == "body")' \
				"$WORK/json-answer.json" >/dev/null 2>&1; then
				status="400 without a body detail"
			fi
			case "$status" in
			400) refused=$((refused + 1)) ;;
			5* | 000) fivexx=$((fivexx + 1)); other+=("$status for '$name' on $method $path") ;;
			*) other+=("$status for '$name' on $method $path") ;;
			esac
		done
	done
	figure "$tried" "$refused" - "$fivexx" - "$(verdict_of test "${#other[@]}" -eq 0)" \
		"$(find "$corpus" -name '*.body' | wc -l) bodies (raw control characters, lone surrogates, CESU-8, overlong forms, above U+10FFFF, duplicate members, \\u0000, nesting 33 and 100000 deep, non-JSON spellings) x ${#routes[@]} routes; answers other than 400 with a body detail: ${#other[@]}${other[*]:+ (${other[*]})}"
}

# ---------------------------------------------------------------- 8. slow readers

# The slow_readers integration suite: one more client than workers asks for
# a 6 MB search page and never reads; health is probed meanwhile.
family_slow_readers() {
	local output="$WORK/slow-readers.log" rc=0 line readers workers probes slowest failed mark requests fivexx
	mark=$(access_log_mark)
	INTUKA_TEST_BASE_URL="$BASE" INTUKA_TEST_FLAVOUR=lighttpd INTUKA_TEST_CONFIG="$(cat "$STATE/config")" \
		INTUKA_TEST_ADMIN="$INTUKA_ADMIN_BIN" INTUKA_TEST_MASTER_PIDFILE="$(stack_master_pidfile "$STATE")" \
		timeout 300 "$ITEST_BIN" slow_readers </dev/null >"$output" 2>&1 || rc=$?
	read -r requests _ fivexx < <(access_log_since "$mark")
	line=$(grep -m1 -E 'slow readers, [0-9]+ workers' "$output" || true)
	if [[ ! "$line" =~ ([0-9]+)\ slow\ readers,\ ([0-9]+)\ workers:\ ([0-9]+)\ health\ probes,\ slowest\ ([0-9]+)\ ms,\ ([0-9]+)\ failed ]]; then
		figure - - - "$fivexx" - FAILED "intuka-itest slow_readers printed no figures (exit $rc): $(tail -n 3 "$output" | tr '\n' ' ')"
		return 0
	fi
	readers=${BASH_REMATCH[1]} workers=${BASH_REMATCH[2]} probes=${BASH_REMATCH[3]}
	slowest=${BASH_REMATCH[4]} failed=${BASH_REMATCH[5]}
	figure "$probes" - - "$fivexx" - "$(verdict_of test $((failed == 0 && slowest <= 1000 && rc == 0)) -eq 1)" \
		"$readers slow readers of a 6 MB search answer against $workers workers, behind lighttpd: $probes health probes over $(($(config_value send_timeout_ms) * 2 / 1000 + 2)) s, slowest ${slowest} ms, $failed failed (intuka-itest slow_readers, exit $rc)"
}

# ---------------------------------------------------------------- 9. forgot timing

# timed_forgot EMAIL: milliseconds of one forgot request (fails unless 200).
timed_forgot() {
	local body result
	body=$(jq -nc --arg e "$1" --arg s "$TENANT" '{email: $e, tenantSlug: $s}')
	result=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 -H 'Content-Type: application/json' \
		--data-binary "$body" "$BASE/api/v1/auth/password/forgot" || true)
	[[ "$result" == "200 "* ]] || { log "forgot for $1: $result"; return 1; }
	awk -v s="${result#* }" 'BEGIN { printf "%.3f\n", s * 1000 }'
}

# forgot_round ROUND: 30 forgot requests for existing accounts (6 new ones,
# 5 each: the per-account limit) and 30 for unknown addresses, interleaved
# as the identity suite does. Prints "EXISTING UNKNOWN DIFFERENCE ALLOWED"
# (medians in ms; DIFFERENCE is the median of the paired differences).
forgot_round() {
	local round="$1" i existing unknown accounts=6 samples=30 pairs="$WORK/forgot-pairs-$1.tsv"
	for ((i = 0; i < accounts; i++)); do
		make_user "$TENANT" "timing-$round-$i@$TENANT.test" user
	done
	: >"$pairs"
	for ((i = 0; i < samples; i++)); do
		# A pause lets the previous request's mail leave its worker.
		sleep 0.03
		existing=$(timed_forgot "timing-$round-$((i % accounts))@$TENANT.test")
		sleep 0.03
		unknown=$(timed_forgot "nobody-$round-$((i % accounts))-$$@$TENANT.test")
		printf '%s\t%s\n' "$existing" "$unknown" >>"$pairs"
	done
	local existing_median unknown_median difference_median
	existing_median=$(cut -f1 "$pairs" | median)
	unknown_median=$(cut -f2 "$pairs" | median)
	difference_median=$(awk -F'\t' '{ print $1 - $2 }' "$pairs" | median)
	# The identity suite's bound: 0.3 ms, or a fifth of a request.
	printf '%s %s %s %s\n' "$existing_median" "$unknown_median" "$difference_median" \
		"$(awk -v u="$unknown_median" 'BEGIN { a = u / 5; printf "%.3f", (a > 0.3 ? a : 0.3) }')"
}

# The answer to password-forgot must take as long for an existing account as
# for an unknown address. A round over the bound is repeated (up to 3 rounds
# in all) before anything is concluded: on a shared 2-core machine a loaded
# moment moves 30 samples by a millisecond.
family_forgot_timing() {
	local round result notes="" held=0 load
	local -a r
	for round in 1 2 3; do
		load=$(cut -d' ' -f1 /proc/loadavg)
		result=$(forgot_round "$round")
		read -r -a r <<<"$result"
		notes+="round $round (load $load): existing ${r[0]} ms, unknown ${r[1]} ms, paired difference ${r[2]} ms (bound ±${r[3]} ms); "
		if awk -v d="${r[2]}" -v a="${r[3]}" 'BEGIN { exit !(d < a && -d < a) }'; then
			held=1
			break
		fi
	done
	figure $((60 * round)) - - 0 - "$(verdict_of test "$held" -eq 1)" "medians over 30 requests of each kind, ${notes%; }"
}

# ---------------------------------------------------------------- 10. fuzzing

# tests/fuzz/run.sh: every libFuzzer target for FUZZ_SECONDS on a copy of its
# corpus; executions and crashes per target.
family_fuzzing() {
	local output="$WORK/fuzz.log" rc=0 line target executions total=0 crashes=0 target_count=0 per_target=""
	timeout --kill-after=10 $(((FUZZ_SECONDS + 60) * 5 + 300)) "$INTUKA_REPO/tests/fuzz/run.sh" "$FUZZ_SECONDS" \
		</dev/null >"$output" 2>&1 || rc=$?
	while IFS= read -r line; do
		target_count=$((target_count + 1))
		target=$(awk '{ sub(":", "", $2); print $2 }' <<<"$line")
		if [[ "$line" =~ ok,\ ([0-9]+)\ executions ]]; then
			executions=${BASH_REMATCH[1]}
			total=$((total + executions))
			per_target+="$target $executions, "
		else
			crashes=$((crashes + 1))
			per_target+="$target ${line#*: }, "
		fi
	done < <(grep -E '^fuzz [a-z_]+: (ok|FAILED)' "$output")
	if ((target_count == 0)); then
		figure - - - - - FAILED "tests/fuzz/run.sh reported no target (exit $rc): $(tail -n 3 "$output" | tr '\n' ' ')"
		return 0
	fi
	figure "$total" - - - - "$(verdict_of test $((crashes == 0 && rc == 0)) -eq 1)" \
		"$target_count libFuzzer targets x ${FUZZ_SECONDS} s (ASan + UBSan), executions: ${per_target%, }; crashes $crashes"
}

# ---------------------------------------------------------------- the run

# run_family NUMBER NAME: runs family_NAME in a subshell with set -e (so a
# failing step ends the family, not the run) and prints its line; a family
# that ends without one gets a FAILED line.
run_family() {
	local number="$1" name="$2" rc=0 started_s=$SECONDS row
	FAMILY_ROW="$ROWS/$(printf '%02d' "$number")-$name"
	export FAMILY_ROW
	rm -f "$FAMILY_ROW"
	log "===== $number. $name ====="
	if ! wait_until 60 stack_whole; then
		figure - - - - - FAILED "the stack was not healthy before the family"
	else
		set +e
		(
			set -e
			"family_$name"
		)
		rc=$?
		set -e
		[[ -s "$FAMILY_ROW" ]] || figure - - - - - FAILED "family_$name stopped with status $rc before its figures"
	fi
	row=$(cat "$FAMILY_ROW")
	# Insert the duration before the verdict.
	row=$(awk -v took="$((SECONDS - started_s))" -F' [|] ' -v OFS=' | ' '{ $5 = $5 " | took " took " s"; print }' <<<"$row")
	printf '%s %s | %s\n' "$number" "$name" "$row" >"$FAMILY_ROW"
	printf 'figure: %s\n' "$(cat "$FAMILY_ROW")"
}

# Two tenants (the second only so a token can name another tenant), a Tenant
# Admin's token, a secret find key on a generous plan, one lead and one
# product to aim at.
make_fixtures() {
	local conf answer
	conf=$(cat "$STATE/config")
	intuka_admin -c "$conf" tenant create "$TENANT" "Figures A" >/dev/null
	intuka_admin -c "$conf" tenant create "$OTHER_TENANT" "Figures B" >/dev/null
	make_user "$TENANT" "admin@$TENANT.test"
	make_user "$OTHER_TENANT" "admin@$OTHER_TENANT.test"
	intuka_admin -c "$conf" find-plan set "$TENANT" business --rate-per-minute 1000000 --rate-per-hour 10000000 \
		--search-quota 10000000 --max-webhooks 1000 >/dev/null
	TENANT_ID=$(db_sql "SELECT tenant_id FROM tenants WHERE slug = '$TENANT'")
	ADMIN_TOKEN=$(api_login "admin@$TENANT.test" "$PASSWORD" "$TENANT")
	answer=$(curl_api -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
		--data-binary '{"label":"figures"}' "$BASE/api/v1/find/provision/keys")
	SECRET_KEY=$(jq -r '.data.key // empty' <<<"$answer")
	[[ -n "$SECRET_KEY" ]] || { log "no secret key: $answer"; return 1; }
	answer=$(curl_api -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
		--data-binary '{"lastName":"Smith","company":"Acme","source":"web"}' "$BASE/api/v1/sales/leads")
	LEAD_ID=$(jq -r '.data.id // empty' <<<"$answer")
	[[ -n "$LEAD_ID" ]] || { log "no lead: $answer"; return 1; }
	answer=$(curl_api -H "Authorization: Bearer $SECRET_KEY" -H 'Content-Type: application/json' \
		-H "X-Workspace-ID: $WORKSPACE" --data-binary '{"id":"sku-1","name":"Blue shoe","sku":"S1","brands":["acme"]}' \
		"$BASE/api/v1/find/products")
	[[ "$(jq -r '.success' <<<"$answer")" == true ]] || { log "no product: $answer"; return 1; }
}

# Signals other than our own SIGKILLs in the master's log: a worker that
# crashed anywhere in the run.
worker_crashes() {
	grep -o 'killed by signal [0-9]*' "$STATE/intukad.log" | grep -vc 'signal 9$' || true
}

machine_line() {
	local cpu memory
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
	memory=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
	printf '%s, %s CPUs (%s), %s RAM, %s %s' "$(hostname)" "$(nproc)" "${cpu:-unknown CPU}" "$memory" \
		"$(uname -s)" "$(uname -r)"
}

# shellcheck disable=SC2016 # backquotes are Markdown here
write_figures_file() {
	local commit took_s="$1" row
	commit=$(git -C "$INTUKA_REPO" describe --always --dirty --abbrev=12 2>/dev/null || printf 'unknown')
	{
		printf '# Attack figures\n\n'
		printf 'Written by `tests/figures.sh` (not run by CI); each row is one family of\n'
		printf 'attacks from an outside attack run, measured against a private stack on\n'
		printf 'loopback: MariaDB, %s intukad workers behind lighttpd, the webhook\n' "$INTUKA_STACK_WORKERS"
		printf 'deliverer, a debug build (`--enable-debug`: -O0, as `deploy/test.sh`).\n\n'
		printf -- '- date: %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
		printf -- '- commit: %s\n' "$commit"
		printf -- '- machine: %s\n' "$(machine_line)"
		printf -- '- software: %s; %s; %s; Python %s\n' "$(mariadbd --version | awk '{ print $1, $3 }')" \
			"$(lighttpd -v 2>&1 | head -n1 | awk '{ print $1 }')" "$(clang --version | head -n1)" \
			"$(python3 -c 'import platform; print(platform.python_version())')"
		printf -- '- run time: %d min %d s\n\n' $((took_s / 60)) $((took_s % 60))
		printf '| # | family | tried | refused | lost | 5xx | recover (s) | took | verdict | notes |\n'
		printf '|---|---|---|---|---|---|---|---|---|---|\n'
		for row in "$ROWS"/*; do
			awk -F' [|] ' '{
				split($1, head, " ")
				sub(/^tried /, "", $2); sub(/^refused /, "", $3); sub(/^lost /, "", $4)
				sub(/^5xx /, "", $5); sub(/^recover /, "", $6); sub(/^took /, "", $7)
				notes = $9
				for (i = 10; i <= NF; i++) notes = notes " / " $i
				gsub(/\|/, "\\|", notes)
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
					head[1], head[2], $2, $3, $4, $5, $6, $7, $8, notes
			}' "$row"
		done
		printf '\nWorker crashes in the whole run (a signal other than the SIGKILLs of\n'
		printf 'the worker_kills family in the master'"'"'s log): %s.\n\n' "$(worker_crashes)"
		figures_legend
	} >"$FIGURES_FILE"
	log "wrote $FIGURES_FILE"
}

figures_legend() {
	cat <<-'EOF'
		## What each row tries

		"tried" counts attack requests (fuzzing: executions), "refused" the 4xx
		answers among them, "lost" acknowledged writes missing from the
		database, "5xx" what the web server logged as 5xx during the family,
		"recover" seconds until the service was whole again.

		1. **jwt**: forged and malformed access tokens (`alg` none and other
		   algorithms, wrong or empty keys, embedded keys, unknown `kid`,
		   expired, `nbf`/`iat` ahead, wrong `aud`/`iss`, another tenant's or
		   user's ids, duplicate members, padding, non-canonical base64,
		   truncation, extra parts, up to 30 KB, a logged-out session's
		   token) on `GET /auth/me` and `GET /find/provision/keys`; claims
		   are signed with the real key where the claim is what is tested.
		   Only the genuine token may pass.
		2. **rate_limits**: parallel bursts, every request claiming another
		   client address (`X-Forwarded-For`, `X-Real-IP`, `Forwarded`, ...):
		   login per account, login per address, forgot per account, requests
		   per user per minute. Exactly the limit must be accepted.
		3. **sql_injection**: sqlmap in batch mode (level 1, risk 1,
		   boolean/error/union/stacked/time-based) on list filters, sort, `q`,
		   audit filters, the webhook list, the find search body and path
		   ids, with a valid credential. "tried" is the requests it made.
		4. **worker_kills**: 8 clients create leads with `Idempotency-Key`
		   (retrying unanswered ones with the same key) while a random worker
		   gets SIGKILL every 0.3-1.0 s for 60 s.
		5. **mariadb_restart**: 2 clients creating leads while MariaDB is
		   stopped with SIGTERM, then killed with SIGKILL, and started again;
		   "recover" is the longest health outage seen by a probe every 100 ms.
		6. **ssrf**: webhook URLs that point inside (private ranges, loopback
		   spellings, decimal/octal/hex addresses, IPv6 forms carrying IPv4,
		   names resolving to loopback, userinfo tricks, other schemes), on
		   create and on a change of URL; receivers that redirect inside.
		7. **strict_json**: bodies that are not strict JSON on login, lead
		   create and change, product upsert and search: each must be a 400
		   naming the body (not a field of a body that was read).
		8. **slow_readers**: one more client than workers asks for a 6 MB
		   search answer and never reads; "tried" is the health probes made
		   meanwhile (the slowest must stay under 1 s, none may fail).
		9. **forgot_timing**: password-forgot for existing accounts and
		   unknown addresses, 30 each, interleaved: the answer must take as
		   long either way (the identity suite's bound: 0.3 ms or a fifth of
		   a request). A round over the bound is repeated, up to 3 rounds,
		   before anything is concluded; "tried" counts every round.
		10. **fuzzing**: `tests/fuzz/run.sh` (libFuzzer with ASan and UBSan)
		    on every target.
	EOF
}

teardown() {
	[[ -n "$TEST_ROOT" && -d "$TEST_ROOT" ]] || return 0
	[[ -z "$STATE" ]] || stack_down "$STATE"
	[[ -z "$DB_DIR" ]] || mariadb_stop "$DB_DIR"
	if [[ "${INTUKA_FIGURES_KEEP:-0}" == 1 ]]; then
		log "state kept: $TEST_ROOT"
	else
		rm -rf "$TEST_ROOT"
	fi
}

ensure_tools() {
	deps_ensure
	if ! command -v sqlmap >/dev/null 2>&1; then
		((EUID == 0)) || die "sqlmap missing (apt-get install sqlmap)"
		deps_apt_install sqlmap || die "apt-get install sqlmap failed"
	fi
	command -v python3 >/dev/null || die "python3 missing"
}

main() {
	local family number port rc=0 known
	for family in "${FAMILIES[@]}"; do
		known=0
		for number in "${!ALL_FAMILIES[@]}"; do [[ "${ALL_FAMILIES[number]}" == "$family" ]] && known=1; done
		((known)) || die "unknown family '$family' (${ALL_FAMILIES[*]})"
	done
	trap teardown EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	ensure_tools
	build_all --enable-debug || die "build failed"
	(cd "$INTUKA_REPO" && make -j2 tests/integration/intuka-itest >/dev/null) || die "building intuka-itest failed"

	TEST_ROOT=$(mktemp -d /tmp/intuka-figures.XXXXXX)
	chmod 0711 "$TEST_ROOT"
	WORK="$TEST_ROOT/work"
	ROWS="$TEST_ROOT/rows"
	mkdir -p "$WORK" "$ROWS"
	DB_DIR="$TEST_ROOT/mariadb"
	SECRETS="$TEST_ROOT/secrets.conf"
	STATE="$TEST_ROOT/stack"
	mariadb_start "$DB_DIR" || die "MariaDB did not start"
	mariadb_setup_app "$DB_DIR" "$SECRETS" || die "creating the intuka database and user failed"
	secrets_ensure_jwt_key "$SECRETS" || die "writing a JWT key failed"
	port=$(port_find_free)
	BASE="http://127.0.0.1:$port"
	stack_up lighttpd "$STATE" "$port" "$SECRETS" "$(cat "$DB_DIR/port")" || die "the stack did not start"
	make_fixtures || die "the fixtures could not be made"

	for number in "${!ALL_FAMILIES[@]}"; do
		family=${ALL_FAMILIES[number]}
		[[ " ${FAMILIES[*]} " != *" $family "* ]] || run_family $((number + 1)) "$family"
		if [[ "$family" == rate_limits ]]; then
			# Measured (or not asked for): from here on no family should be
			# throttled by them.
			stack_reload rate_limit_per_minute=1000000 login_address_rate_limit=1000000 ||
				die "raising the rate limits (reload) failed"
		fi
	done
	printf 'figure: all: worker crashes %s\n' "$(worker_crashes)"
	if grep -qE ' [|] (DEFECT|FAILED) [|] ' "$ROWS"/* || [[ "$(worker_crashes)" != 0 ]]; then
		rc=1
	fi
	if [[ "${FAMILIES[*]}" == "${ALL_FAMILIES[*]}" ]]; then
		write_figures_file $((SECONDS - STARTED_S))
	else
		log "partial run: $FIGURES_FILE left as it is"
	fi
	log "run time $(((SECONDS - STARTED_S) / 60)) min $(((SECONDS - STARTED_S) % 60)) s"
	return "$rc"
}

main "$@"
