#!/usr/bin/env bash
# Builds Intuka for development and runs every test: the CUnit unit tests
# (make check), make distcheck, the fuzz targets under libFuzzer
# (tests/fuzz/run.sh, one check per target), then the integration test
# program against a fresh private stack for each web server flavour, plus a
# few checks of the server's process behaviour done from here; then the
# installed flavours: "shared" (a non-root user installs under $HOME with
# ./configure --prefix and serves through Apache mod_fcgid and .htaccess)
# and "package" (the Debian package built, installed, started as its
# systemd units say, rotated by logrotate, purged), each with the smoke
# suite; last "galera": a 3-node MariaDB Galera cluster with two web nodes,
# the integration suites shared out between them, one find key's rate
# limit and each webhook event's single delivery checked across both web
# nodes, and the fault runs (about 4 minutes).
# Ends with the time each phase took and one line "N passed, N failed".
#
#   deploy/test.sh              debug build (-O0 -g -Werror)
#   deploy/test.sh --sanitize   debug build with ASan + UBSan (or INTUKA_SANITIZE=1)
#   deploy/test.sh --package    only the Debian package: build, install, start, smoke suite
#   deploy/test.sh --galera     debug build, unit tests, then the galera flavour
#                               alone (deploy/cluster.sh: the integration suites
#                               alternately on web node 1 and 2, the rate-limit
#                               and webhook checks across both, then the fault
#                               runs, a database node and a web node SIGKILLed
#                               under 20 clients), whose figures it writes into
#                               tests/FIGURES.md
#
# Environment: INTUKA_TEST_SERVERS (default "lighttpd apache fcgid shared package galera"),
# INTUKA_TEST_SUITES (integration suites to run, e.g. "find_content"; default all),
# INTUKA_TEST_KEEP=1 keeps the temporary state directory for inspection,
# INTUKA_ITEST_TIMEOUT_S bounds one integration run (default 1200),
# INTUKA_FUZZ_SECONDS is how long each fuzz target runs (default 60; 0 still
# builds every target and runs each seed once, a few seconds in all),
# INTUKA_TEST_ARTEFACTS is where tests leave files for people to look at
# (default .test-artefacts/ in the repository, one directory per web server;
# kept after the run, replaced by the next one), e.g. the screenshot of
# /api/v1/docs in headless Chromium.
# Runs as root on Debian 12 (installs missing packages). Everything it starts
# runs from a mktemp directory on free ports and is stopped on exit.
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/lib/common.sh
source "$DEPLOY_DIR/lib/common.sh"
# shellcheck source=deploy/lib/deps.sh
source "$DEPLOY_DIR/lib/deps.sh"
# shellcheck source=deploy/lib/build.sh
source "$DEPLOY_DIR/lib/build.sh"
# shellcheck source=deploy/lib/mariadb.sh
source "$DEPLOY_DIR/lib/mariadb.sh"
# Every test logs in from 127.0.0.1: the per-address login limit (10 per
# 15 minutes in production) would throttle the suite itself. The per-account
# limit, which the tests exercise, stays at its product value.
export INTUKA_STACK_LOGIN_ADDRESS_LIMIT="${INTUKA_STACK_LOGIN_ADDRESS_LIMIT:-100000}"
# The webhook tests deliver to a receiver inside the test program on
# 127.0.0.1: the stack must allow private targets (link-local, multicast and
# the like stay refused, which the find_webhooks suite checks), and poll often.
export INTUKA_STACK_WEBHOOK_ALLOW_PRIVATE="${INTUKA_STACK_WEBHOOK_ALLOW_PRIVATE:-1}"
export INTUKA_STACK_WEBHOOK_POLL_MS="${INTUKA_STACK_WEBHOOK_POLL_MS:-100}"
# The shortest lease: the test that SIGKILLs the deliverer waits for it.
export INTUKA_STACK_WEBHOOK_LEASE_S="${INTUKA_STACK_WEBHOOK_LEASE_S:-35}"
# shellcheck source=deploy/lib/stack.sh
source "$DEPLOY_DIR/lib/stack.sh"
# shellcheck source=deploy/lib/package.sh
source "$DEPLOY_DIR/lib/package.sh"
# shellcheck source=deploy/lib/shared.sh
source "$DEPLOY_DIR/lib/shared.sh"
# shellcheck source=deploy/lib/galera.sh
source "$DEPLOY_DIR/lib/galera.sh"

SERVERS="${INTUKA_TEST_SERVERS:-lighttpd apache fcgid shared package galera}"
PACKAGE_ONLY=0 # --package: build, then the package flavour alone
SANITIZE="${INTUKA_SANITIZE:-0}"
ITEST_TIMEOUT_S="${INTUKA_ITEST_TIMEOUT_S:-1200}"
FUZZ_SECONDS="${INTUKA_FUZZ_SECONDS:-60}"
ARTEFACTS_DIR="${INTUKA_TEST_ARTEFACTS:-$INTUKA_REPO/.test-artefacts}"
FUZZ_TARGET_COUNT=5 # tests/fuzz/run.sh's targets, to bound the whole phase
ITEST_BIN="$INTUKA_REPO/tests/integration/intuka-itest"
# Words: names of integration suites; empty runs every suite.
read -r -a ITEST_SUITES <<<"${INTUKA_TEST_SUITES:-}"

TEST_ROOT=""      # mktemp directory holding every state directory
CLUSTER_DIR=""    # --galera: the cluster of deploy/cluster.sh
GALERA=0
DB_DIR=""         # the MariaDB shared by all flavours
SECRETS=""        # its secrets file (db_password)
PASSED=0
FAILED=0
FAILURES=()       # names of failed checks, for the recap
TIMINGS=()        # "phase: N s" for each phase run, for the recap (CI has 90 minutes)
TORN_DOWN=0
SUMMARY_PRINTED=0
BAILED=0          # set when we stop on purpose after recording the failure

# ---------------------------------------------------------------- bookkeeping

pass() {
	PASSED=$((PASSED + $1))
}

# fail COUNT NAME: COUNT failed tests under the heading NAME.
fail() {
	FAILED=$((FAILED + $1))
	FAILURES+=("$2")
	log "FAILED: $2"
}

# Records a failure that makes going on pointless, and exits (the EXIT trap
# tears down and prints the summary).
bail() {
	fail 1 "$1"
	BAILED=1
	exit 1
}

# timed_since NAME START: records how long phase NAME took since START
# (a value of $SECONDS), logged now and repeated in the recap.
timed_since() {
	TIMINGS+=("$1: $((SECONDS - $2)) s")
	log "time: $1 took $((SECONDS - $2)) s"
}

# A check done by this script counts as one test.
check() {
	local name="$1"
	shift
	if "$@"; then
		pass 1
		log "ok: $name"
	else
		fail 1 "$name"
	fi
}

# Adds the "tests" row of every CUnit run summary found in the files:
#   Run Summary:    Type  Total    Ran Passed Failed Inactive
#                  tests     12     12     11      1        0
# Prints "PASSED FAILED RUNS" (RUNS = number of summaries found).
cunit_counts() {
	awk '
		/Run Summary:/ { in_summary = 1; next }
		in_summary && $1 == "tests" && NF >= 6 { passed += $4; failed += $5; runs++; in_summary = 0 }
		END { printf "%d %d %d\n", passed, failed, runs }
	' "$@" /dev/null
}

# Names the failed CUnit tests of the files, one per line, each with its
# first failed assertion, so that the summary at the end of a long log
# (all a CI page may show) says what failed: "suite/test (file:line - expr)".
cunit_failed_tests() {
	awk '
		/^Suite: / { suite = substr($0, 8) }
		/^  Test: .*\.\.\.FAILED/ {
			name = $0
			sub(/^  Test: /, "", name)
			sub(/ *\.\.\.FAILED.*/, "", name)
			pending = suite "/" name
			next
		}
		pending != "" && /^    [0-9]+\. / {
			detail = $0
			sub(/^    [0-9]+\. */, "", detail)
			print pending " (" substr(detail, 1, 160) ")"
			pending = ""
			next
		}
		pending != "" { print pending; pending = "" }
		END { if (pending != "") print pending }
	' "$@" /dev/null
}

# Records a failure of LABEL for each failed test named in the files, so
# the final summary lists them: LABEL LOG...
fail_named_tests() {
	local label="$1" name
	shift
	while IFS= read -r name; do
		FAILURES+=("$label: $name")
	done < <(cunit_failed_tests "$@")
}

# Prints the CUnit run summary blocks of the files.
cunit_print_summaries() {
	awk '/Run Summary:/ { n = 5 } n > 0 { print; n-- }' "$@" /dev/null
}

# ---------------------------------------------------------------- teardown

teardown() {
	local state
	((TORN_DOWN)) && return 0
	TORN_DOWN=1
	[[ -n "$TEST_ROOT" && -d "$TEST_ROOT" ]] || return 0
	for state in "$TEST_ROOT"/*/; do
		[[ -f "$state/flavour" ]] && stack_down "${state%/}"
		package_remove "${state%/}"
		shared_remove "${state%/}"
	done
	[[ -n "$DB_DIR" ]] && mariadb_stop "$DB_DIR"
	llm_stub_stop
	if [[ -n "$CLUSTER_DIR" && -d "$CLUSTER_DIR" ]]; then
		INTUKA_CLUSTER_DIR="$CLUSTER_DIR" "$DEPLOY_DIR/cluster.sh" stop || true
	fi
	if [[ "${INTUKA_TEST_KEEP:-0}" == 1 || "$FAILED" -gt 0 ]]; then
		log "state kept for inspection: $TEST_ROOT"
	else
		rm -rf "$TEST_ROOT"
	fi
}

print_summary() {
	local name
	((SUMMARY_PRINTED)) && return 0
	SUMMARY_PRINTED=1
	if ((${#TIMINGS[@]} > 0)); then
		printf '\nTimes:' >&2
		printf ' %s;' "${TIMINGS[@]}" >&2
		printf ' all: %d s\n' "$SECONDS" >&2
	fi
	if ((FAILED > 0)); then
		printf '\nFailed:\n' >&2
		for name in "${FAILURES[@]}"; do
			printf '  - %s\n' "$name" >&2
		done
	fi
	printf '\n%d passed, %d failed\n' "$PASSED" "$FAILED"
}

# Runs on every exit. A normal run has already torn down and printed the
# summary; an abort (die, error, signal) still stops everything and reports.
on_exit() {
	local rc=$?
	trap - EXIT
	if ((!SUMMARY_PRINTED)); then
		((rc == 0 || BAILED)) || fail 1 "deploy/test.sh aborted (exit $rc)"
		teardown || true
		print_summary
		((FAILED == 0)) || rc=1
	fi
	exit "$rc"
}

# ---------------------------------------------------------------- phases

# Debug build, and sanitizers on request. The sanitizer options are exported
# so every binary run from here on (unit tests, intukad, intuka-admin, the
# integration tests) reports leaks and stops at the first error.
phase_build() {
	local -a flags=(--enable-debug --enable-tests)
	if [[ "$SANITIZE" == 1 ]]; then
		flags+=(--enable-sanitizers)
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	fi
	build_all "${flags[@]}"
}

# make check: the CUnit unit tests. Counts come from the CUnit summaries in the
# test logs (automake's harness keeps the program output in *.log files).
phase_unit_tests() {
	local stamp="$TEST_ROOT/unit.stamp" rc=0 passed failed runs
	local -a logs
	touch "$stamp"
	log "make check"
	(cd "$INTUKA_REPO" && make -j2 check) >"$TEST_ROOT/make-check.log" 2>&1 || rc=$?
	mapfile -t logs < <(find "$INTUKA_REPO/tests" -name '*.log' ! -name 'test-suite.log' -newer "$stamp" 2>/dev/null)
	# The serial harness (or a crash before any log) leaves output on stdout.
	((${#logs[@]} > 0)) || logs=("$TEST_ROOT/make-check.log")
	cunit_print_summaries "${logs[@]}"
	read -r passed failed runs < <(cunit_counts "${logs[@]}")
	pass "$passed"
	((failed == 0)) || fail "$failed" "unit tests (make check): $failed failed"
	fail_named_tests "unit tests" "${logs[@]}"
	if ((rc != 0)); then
		show_log_tails "$TEST_ROOT/make-check.log" "$INTUKA_REPO/tests/test-suite.log" "$INTUKA_REPO/test-suite.log"
		# A build error or crash is a failure even when no CUnit summary says so.
		((failed > 0)) || fail 1 "make check exited with status $rc"
	elif ((runs == 0)); then
		fail 1 "make check printed no CUnit run summary"
	fi
}

# The fuzz targets under libFuzzer, FUZZ_SECONDS each, on copies of their
# seed corpora: one check per target, counted from run.sh's line for it
# ("fuzz <target>: ok, <N> executions in <S> s, ..." or "...: FAILED (...),
# reproducer <path>"). The reproducers stay in .fuzz/run/<target>/.
phase_fuzz() {
	local rc=0 line limit_s fuzz_log="$TEST_ROOT/fuzz.log" counted=0 failed_before="$FAILED"
	[[ "$FUZZ_SECONDS" =~ ^[0-9]+$ ]] || die "INTUKA_FUZZ_SECONDS must be a whole number of seconds"
	# Each target's time with room for its start and end, and the build.
	limit_s=$(((FUZZ_SECONDS + 30) * FUZZ_TARGET_COUNT + 300))
	# 0 seconds still builds each target and runs its seeds once: a target
	# that no longer links fails here, not first in a full run.
	log "fuzzing each target for ${FUZZ_SECONDS} s (tests/fuzz/run.sh)"
	if timeout --kill-after=10 "$limit_s" "$INTUKA_REPO/tests/fuzz/run.sh" "$FUZZ_SECONDS" </dev/null 2>&1 |
		tee "$fuzz_log"; then
		rc=0
	else
		rc=${PIPESTATUS[0]}
	fi
	while IFS= read -r line; do
		counted=$((counted + 1))
		if [[ "$line" == *": ok, "* ]]; then
			pass 1
		else
			fail 1 "${line%%, reproducer*}"
		fi
	done < <(grep -E '^fuzz [a-z_]+: (ok|FAILED)' "$fuzz_log")
	if ((counted < FUZZ_TARGET_COUNT)); then
		fail 1 "tests/fuzz/run.sh reported $counted of $FUZZ_TARGET_COUNT targets (exit $rc)"
	elif ((rc != 0 && FAILED == failed_before)); then
		fail 1 "tests/fuzz/run.sh exited with status $rc"
	fi
}

# make distcheck: the release tarball holds everything needed to build,
# test (make check), install and uninstall out of tree. One check.
phase_distcheck() {
	local rc=0
	log "make distcheck"
	(cd "$INTUKA_REPO" && make -j2 distcheck) >"$TEST_ROOT/distcheck.log" 2>&1 || rc=$?
	if ((rc == 0)) && grep -q 'archives ready for distribution' "$TEST_ROOT/distcheck.log"; then
		pass 1
		log "ok: make distcheck ($(grep -E '^# (TOTAL|PASS)' "$TEST_ROOT/distcheck.log" | tr '\n' ' '))"
	else
		show_log_tails "$TEST_ROOT/distcheck.log"
		fail 1 "make distcheck (exit $rc; log: $TEST_ROOT/distcheck.log)"
	fi
}

phase_build_itest() {
	log "make tests/integration/intuka-itest tests/dbcheck/intuka-dbcheck tests/llm_stub/llm-stub"
	(cd "$INTUKA_REPO" && make -j2 tests/integration/intuka-itest tests/dbcheck/intuka-dbcheck tests/llm_stub/llm-stub)
}

# The language-model provider of the chat tests (tests/llm_stub): one for
# every flavour, on a loopback port, in its own process group so that its
# per-connection children (a stalled answer sleeps) go with it.
LLM_STUB_PID=""
llm_stub_port_ready() { [[ -s "$TEST_ROOT/llm-stub.port" ]]; }
llm_stub_start() {
	setsid "$INTUKA_REPO/tests/llm_stub/llm-stub" --port-file "$TEST_ROOT/llm-stub.port" \
		--log "$TEST_ROOT/llm-stub-requests.log" --pid-file "$TEST_ROOT/llm-stub.pid" \
		</dev/null >>"$TEST_ROOT/llm-stub.err" 2>&1 &
	wait_until 10 llm_stub_port_ready || return 1
	LLM_STUB_PID=$(pidfile_read "$TEST_ROOT/llm-stub.pid")
	export INTUKA_TEST_LLM_URL="http://127.0.0.1:$(cat "$TEST_ROOT/llm-stub.port")/v1"
	export INTUKA_TEST_LLM_LOG="$TEST_ROOT/llm-stub-requests.log"
	log "language-model stub up: pid $LLM_STUB_PID ($INTUKA_TEST_LLM_URL)"
}
llm_stub_stop() {
	[[ -n "$LLM_STUB_PID" ]] || return 0
	kill -s TERM -- "-$LLM_STUB_PID" 2>/dev/null || true
	LLM_STUB_PID=""
}

# intukad --check: 0 for a valid configuration, 78 for an invalid one.
phase_config_checks() {
	local dir="$TEST_ROOT/config-check" rc
	mkdir -p "$dir"
	stack_write_config "$dir/intuka.conf" "$dir/intuka.sock" "" "$SECRETS" "$(cat "$DB_DIR/port")"
	sed 's/^workers = .*/workers = banana/' "$dir/intuka.conf" >"$dir/broken.conf"
	rc=0
	intuka_run "$INTUKAD_BIN" -c "$dir/intuka.conf" --check >"$dir/good.out" 2>&1 || rc=$?
	check "intukad --check exits 0 on a valid config (got $rc)" test "$rc" -eq 0
	((rc == 0)) || show_log_tails "$dir/good.out"
	rc=0
	intuka_run "$INTUKAD_BIN" -c "$dir/broken.conf" --check >"$dir/broken.out" 2>&1 || rc=$?
	check "intukad --check exits 78 on 'workers = banana' (got $rc)" test "$rc" -eq 78
	((rc == 78)) || show_log_tails "$dir/broken.out"
}

# The database layer against the test MariaDB (tests/dbcheck): how a failed
# transaction behaves, which no HTTP test can provoke on one server.
phase_db_checks() {
	local dir="$TEST_ROOT/config-check"
	itest_run_counted "database layer" "$TEST_ROOT/dbcheck.log" INTUKA_TEST_CONFIG="$dir/intuka.conf" -- \
		"$INTUKA_REPO/tests/dbcheck/intuka-dbcheck"
}

# Prints the pids of intukad processes whose command line names CONF, except
# the webhook delivery and embedding processes (same binary and config, but
# not the master's: they keep running until stack_down stops them).
intukad_processes_using() {
	local conf="$1" proc comm cmdline
	for proc in /proc/[0-9]*; do
		comm=$(cat "$proc/comm" 2>/dev/null) || continue
		[[ "$comm" == intukad* ]] || continue
		cmdline=$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null) || continue
		[[ "$cmdline" == *--deliver-webhooks* ]] && continue
		[[ "$cmdline" == *--embed* ]] && continue
		[[ "$cmdline" == *"$conf"* ]] && printf '%s ' "${proc#/proc/}"
	done
	return 0
}

# SIGTERM to the master: it must exit 0 within shutdown_timeout_s and remove
# its socket and pid file, leaving no worker behind.
check_graceful_shutdown() {
	local state="$1" pid socket pidfile conf deadline_s rc=0 waited=0 leftovers own_child=0 log_lines after_term
	pid=$(intukad_pid "$state")
	socket=$(stack_socket "$state")
	pidfile=$(stack_master_pidfile "$state")
	conf=$(cat "$state/config")
	deadline_s="$INTUKA_STACK_SHUTDOWN_TIMEOUT_S"
	if [[ -z "$pid" ]] || ! proc_matches "$pid" intukad; then
		log "intukad master not running before the shutdown check"
		return 1
	fi
	# A master the integration tests started again (web_errors suite) is not
	# our child: its exit status cannot be read, its log has to say it.
	[[ "$(awk '{ sub(/^.*\) /, ""); print $2 }' "/proc/$pid/stat" 2>/dev/null)" == "$$" ]] && own_child=1
	log_lines=$(wc -l <"$state/intukad.log")
	kill -TERM "$pid"
	# Tenths of a second; one second of slack for scheduling and reaping.
	while proc_alive "$pid" && ((waited < (deadline_s + 1) * 10)); do
		sleep 0.1
		waited=$((waited + 1))
	done
	if proc_alive "$pid"; then
		log "master $pid still running $((deadline_s + 1))s after SIGTERM"
		return 1
	fi
	if ((own_child)); then
		# Our child: wait returns its exit status.
		wait "$pid" 2>/dev/null || rc=$?
		log "master exited with status $rc after $((waited / 10)).$((waited % 10))s"
	else
		after_term=$(tail -n +"$((log_lines + 1))" "$state/intukad.log")
		log "master (started again by the tests, not our child) exited after $((waited / 10)).$((waited % 10))s"
		if [[ "$after_term" != *"master: all workers stopped; exiting"* || "$after_term" == *"drain deadline passed"* ]]; then
			log "its log does not show a clean drain after SIGTERM"
			return 1
		fi
	fi
	rm -f "$state/pids/intukad.pid"
	leftovers=$(intukad_processes_using "$conf")
	[[ "$rc" -eq 0 ]] || { log "exit status $rc, expected 0"; return 1; }
	[[ ! -e "$socket" ]] || { log "socket $socket left behind"; return 1; }
	[[ ! -e "$pidfile" ]] || { log "pid file $pidfile left behind"; return 1; }
	[[ -z "$leftovers" ]] || { log "processes still using $conf: $leftovers"; return 1; }
}

# Runs the integration program and counts its CUnit summary like
# phase_flavour does: LABEL LOG [VAR=VALUE...] -- COMMAND...
itest_run_counted() {
	local label="$1" logfile="$2" rc=0 passed failed runs program
	local -a environment=()
	shift 2
	while (($# > 0)) && [[ "$1" != -- ]]; do
		environment+=("$1")
		shift
	done
	shift
	program=$(basename "$1")
	if env "${environment[@]}" timeout --foreground --kill-after=10 "$ITEST_TIMEOUT_S" "$@" </dev/null 2>&1 |
		tee "$logfile"; then
		rc=0
	else
		rc=${PIPESTATUS[0]}
	fi
	read -r passed failed runs < <(cunit_counts "$logfile")
	pass "$passed"
	((failed == 0)) || fail "$failed" "$label: $failed test(s) failed"
	fail_named_tests "$label" "$logfile"
	if ((runs == 0)); then
		fail 1 "$label: $program printed no CUnit run summary (exit $rc)"
	elif ((rc != 0 && failed == 0)); then
		fail 1 "$label: $program exited with status $rc"
	fi
}

# Brings up FLAVOUR on a fresh schema and runs the integration tests on it.
phase_flavour() {
	local flavour="$1" state="$TEST_ROOT/$1" port db_port conf master_pidfile=""
	local rc=0 passed failed runs stop_cmd start_cmd sql_cmd failed_before="$FAILED" deliverer_start_cmd
	local intukad_start_cmd=""
	log "===== integration tests behind $flavour ====="
	# This run's artefacts replace the last run's, outside the state directory
	# so that they outlive a passing run.
	rm -rf "${ARTEFACTS_DIR:?}/$flavour"
	mkdir -p "$ARTEFACTS_DIR/$flavour"
	# The previous flavour's tests may have left MariaDB stopped.
	if ! mariadb_start "$DB_DIR" || ! mariadb_reset_app_db "$DB_DIR"; then
		fail 1 "$flavour: MariaDB not available"
		return 0
	fi
	db_port=$(cat "$DB_DIR/port")
	port=$(port_find_free)
	if ! stack_up "$flavour" "$state" "$port" "$SECRETS" "$db_port"; then
		fail 1 "$flavour: stack did not start"
		show_log_tails "$state/intukad.log" "$(web_error_log "$state")" "$DB_DIR/error.log"
		stack_down "$state"
		return 0
	fi
	conf=$(cat "$state/config")
	if [[ "$flavour" != fcgid ]]; then
		master_pidfile=$(stack_master_pidfile "$state")
		# The web_errors suite stops the master to see what the web server
		# answers without it, then starts it again with this.
		intukad_start_cmd=$(shell_quote bash "$DEPLOY_DIR/lib/stack.sh" intukad-start "$state")
	fi
	stop_cmd=$(shell_quote bash "$DEPLOY_DIR/lib/mariadb.sh" stop "$DB_DIR")
	start_cmd=$(shell_quote bash "$DEPLOY_DIR/lib/mariadb.sh" start "$DB_DIR")
	sql_cmd=$(shell_quote bash "$DEPLOY_DIR/lib/mariadb.sh" sql "$DB_DIR")
	deliverer_start_cmd=$(shell_quote bash "$DEPLOY_DIR/lib/stack.sh" deliverer-start "$state")

	# The output goes to the console (CI log) and to a file for counting; the
	# "if" keeps set -e away and PIPESTATUS gives the test program's status.
	# --foreground: stay in the terminal's process group so Ctrl-C reaches it.
	if INTUKA_TEST_BASE_URL="http://127.0.0.1:$port" \
		INTUKA_TEST_FLAVOUR="$flavour" \
		INTUKA_TEST_MASTER_PIDFILE="$master_pidfile" \
		INTUKA_TEST_INTUKAD_START_CMD="$intukad_start_cmd" \
		INTUKA_TEST_DB_STOP_CMD="$stop_cmd" \
		INTUKA_TEST_DB_START_CMD="$start_cmd" \
		INTUKA_TEST_DB_SQL_CMD="$sql_cmd" \
		INTUKA_TEST_CONFIG="$conf" \
		INTUKA_TEST_ADMIN="$INTUKA_ADMIN_BIN" \
		INTUKA_TEST_BASE_DOMAIN="$INTUKA_STACK_BASE_DOMAIN" \
		INTUKA_TEST_MAIL_FILE="$state/mail/mail.log" \
		INTUKA_TEST_DELIVERY_PIDFILE="$(deliverer_pidfile "$state")" \
		INTUKA_TEST_DELIVERY_START_CMD="$deliverer_start_cmd" \
		INTUKA_TEST_WEB_CLIENT_TIMEOUT_S="$INTUKA_STACK_CLIENT_TIMEOUT_S" \
		INTUKA_TEST_ARTEFACTS_DIR="$ARTEFACTS_DIR/$flavour" \
		timeout --foreground --kill-after=10 "$ITEST_TIMEOUT_S" "$ITEST_BIN" "${ITEST_SUITES[@]}" </dev/null 2>&1 |
		tee "$state/itest.log"; then
		rc=0
	else
		rc=${PIPESTATUS[0]}
	fi
	((rc != 124)) || log "intuka-itest killed after ${ITEST_TIMEOUT_S}s"
	read -r passed failed runs < <(cunit_counts "$state/itest.log")
	pass "$passed"
	((failed == 0)) || fail "$failed" "$flavour: $failed integration test(s) failed"
	fail_named_tests "$flavour" "$state/itest.log"
	if ((runs == 0)); then
		fail 1 "$flavour: intuka-itest printed no CUnit run summary (exit $rc)"
	elif ((rc != 0 && failed == 0)); then
		fail 1 "$flavour: intuka-itest exited with status $rc"
	fi
	if [[ "$flavour" == lighttpd ]]; then
		check "lighttpd: SIGTERM drains intukad, removes socket and pid file" check_graceful_shutdown "$state"
	fi
	if ((FAILED > failed_before)); then
		show_log_tails "$state/intukad.log" "$(web_error_log "$state")" "$DB_DIR/error.log"
	fi
	stack_down "$state"
}

# A sanitizer report in any server or worker log fails the run, even when the
# HTTP response that triggered it looked fine to the tests.
check_sanitizer_logs() {
	local -a logs hits
	mapfile -t logs < <(find "$TEST_ROOT" -name '*.log' ! -path "$DB_DIR/*" ! -name 'itest.log' 2>/dev/null)
	((${#logs[@]} > 0)) || return 0
	local pattern='AddressSanitizer|LeakSanitizer|runtime error:' file
	mapfile -t hits < <(grep -lE "$pattern" "${logs[@]}" 2>/dev/null || true)
	((${#hits[@]} == 0)) && return 0
	for file in "${hits[@]}"; do
		# The report itself, not the tail: it may sit anywhere in a long log.
		printf '\n===== sanitizer report in %s =====\n' "$file" >&2
		grep -n -E -B 2 -A 40 "$pattern" "$file" | head -n 200 >&2
	done
	return 1
}

# ---------------------------------------------------------------- galera

# Every integration suite; --galera shares them out between the web nodes.
GALERA_SUITES=(contract anomaly admin identity sales hr finance find_access find_insights find_content find_chat
	find_webhooks find_queries slow_readers web_errors sdk_contract platform lists find_llm find_search_scale)

# The database node directory whose port is the first of web node STATE's
# db_hosts: where its workers write.
galera_writer_of() {
	local state="$1" first dir
	first=$(sed -n 's/^db_hosts = \([^,]*\).*/\1/p' "$(cat "$state/config")")
	for dir in "$CLUSTER_DIR"/db*; do
		[[ "127.0.0.1:$(cat "$dir/port")" == "$first" ]] && { printf '%s\n' "$dir"; return 0; }
	done
	printf '%s\n' "$CLUSTER_DIR/db1"
}

# galera_itest NODE SUITE...: the integration program against web node NODE
# of the cluster; its SQL goes to the database node its workers prefer, and
# "stop the database" stops the whole cluster (one node away is no outage).
galera_itest() {
	local node="$1" state="$CLUSTER_DIR/web$1" url rc=0 passed failed runs
	shift
	url=$(sed -n "${node}p" "$CLUSTER_DIR/urls")
	log "===== integration tests on web node $node ($url): $* ====="
	if INTUKA_TEST_BASE_URL="$url" \
		INTUKA_TEST_FLAVOUR=lighttpd \
		INTUKA_TEST_MASTER_PIDFILE="$(stack_master_pidfile "$state")" \
		INTUKA_TEST_INTUKAD_START_CMD="$(shell_quote bash "$DEPLOY_DIR/lib/stack.sh" intukad-start "$state")" \
		INTUKA_TEST_DB_STOP_CMD="$(shell_quote bash "$DEPLOY_DIR/lib/galera.sh" cluster-stop "$CLUSTER_DIR")" \
		INTUKA_TEST_DB_START_CMD="$(shell_quote bash "$DEPLOY_DIR/lib/galera.sh" cluster-start "$CLUSTER_DIR")" \
		INTUKA_TEST_DB_SQL_CMD="$(shell_quote bash "$DEPLOY_DIR/lib/galera.sh" sql "$(galera_writer_of "$state")")" \
		INTUKA_TEST_CONFIG="$(cat "$state/config")" \
		INTUKA_TEST_ADMIN="$INTUKA_ADMIN_BIN" \
		INTUKA_TEST_BASE_DOMAIN="$INTUKA_STACK_BASE_DOMAIN" \
		INTUKA_TEST_MAIL_FILE="$state/mail/mail.log" \
		INTUKA_TEST_DELIVERY_PIDFILE="$(deliverer_pidfile "$state")" \
		INTUKA_TEST_DELIVERY_START_CMD="$(shell_quote bash "$DEPLOY_DIR/lib/stack.sh" deliverer-start "$state")" \
		INTUKA_TEST_WEB_CLIENT_TIMEOUT_S="$INTUKA_STACK_CLIENT_TIMEOUT_S" \
		INTUKA_TEST_DB_NODES="$(find "$CLUSTER_DIR" -maxdepth 1 -name 'db[0-9]*' -type d | wc -l)" \
		timeout --foreground --kill-after=10 "$ITEST_TIMEOUT_S" "$ITEST_BIN" "$@" </dev/null 2>&1 |
		tee -a "$CLUSTER_DIR/itest-web$node.log" >"$CLUSTER_DIR/itest-last.log"; then
		rc=0
	else
		rc=${PIPESTATUS[0]}
	fi
	grep -E 'FAILED|^ +[0-9]+\. ' "$CLUSTER_DIR/itest-last.log" | head -n 40 || true
	cunit_print_summaries "$CLUSTER_DIR/itest-last.log"
	read -r passed failed runs < <(cunit_counts "$CLUSTER_DIR/itest-last.log")
	pass "$passed"
	((failed == 0)) || fail "$failed" "galera web node $node ($*): $failed integration test(s) failed"
	fail_named_tests "galera web node $node" "$CLUSTER_DIR/itest-last.log"
	if ((runs == 0)); then
		fail 1 "galera web node $node ($*): intuka-itest printed no CUnit run summary (exit $rc)"
	elif ((rc != 0 && failed == 0)); then
		fail 1 "galera web node $node ($*): intuka-itest exited with status $rc"
	fi
}

# Sets KEY=VALUE pairs in a web node's config and reloads its master (SIGHUP).
galera_reload() {
	local state="$1" conf pair lines
	shift
	conf=$(cat "$state/config")
	for pair in "$@"; do
		sed -i "s|^${pair%%=*} = .*|${pair%%=*} = ${pair#*=}|" "$conf"
	done
	lines=$(wc -l <"$state/intukad.log")
	kill -HUP "$(intukad_pid "$state")"
	wait_until 10 galera_reload_logged "$state" "$lines"
}

galera_reload_logged() {
	tail -n +"$(($2 + 1))" "$1/intukad.log" | grep -q 'configuration reloaded'
}

# Every database node Synced in a cluster of all of them.
galera_all_synced() {
	local dir count
	count=$(find "$CLUSTER_DIR" -maxdepth 1 -name 'db[0-9]*' -type d | wc -l)
	for dir in "$CLUSTER_DIR"/db*; do
		[[ "$(galera_status_value "$dir" wsrep_local_state_comment)" == Synced &&
			"$(galera_status_value "$dir" wsrep_cluster_size)" == "$count" ]] || return 1
	done
}

# The fault runs' tenant, user and token (GALERA_TOKEN, GALERA_TENANT_ID).
galera_fault_setup() {
	local conf="$CLUSTER_DIR/web1/intuka.conf" password answer url
	password=$(openssl rand -hex 12)
	intuka_admin -c "$conf" tenant create galera "Galera faults" >/dev/null || return 1
	intuka_run env INTUKA_USER_PASSWORD="$password" "$INTUKA_ADMIN_BIN" -c "$conf" user create galera \
		admin@galera.test --name "Fault Runner" </dev/null >/dev/null || return 1
	url=$(sed -n 1p "$CLUSTER_DIR/urls")
	answer=$(curl -sS --max-time 30 -H 'Content-Type: application/json' \
		-d "{\"email\":\"admin@galera.test\",\"password\":\"$password\",\"tenantSlug\":\"galera\"}" \
		"$url/api/v1/auth/login") || return 1
	GALERA_TOKEN=$(jq -r '.data.accessToken // empty' <<<"$answer")
	[[ -n "$GALERA_TOKEN" ]] || { log "fault run login failed: $answer"; return 1; }
	GALERA_TENANT_ID=$(mariadb_sql "$CLUSTER_DIR/db1" "$INTUKA_DB_NAME" -e "SELECT tenant_id FROM tenants WHERE slug = 'galera'")
	# 20 clients write far above the per-user limit of the suites.
	galera_reload "$CLUSTER_DIR/web1" rate_limit_per_minute=1000000 || return 1
	galera_reload "$CLUSTER_DIR/web2" rate_limit_per_minute=1000000 || return 1
}

# ---- across web nodes: one rate limit, each webhook event delivered once

# The per-key limit of galera_rate_check. Leases leave at most workers x
# web nodes x RATE_LEASE_MAX (32) units unused (src/auth/rate_lease.h,
# docs/api.md "Rate limits"): 4 x 2 x 32 = 256 here, so a limit of 1600
# lets the check ask for 1344 of them at least (84%), and no more than 1600.
GALERA_RATE_LIMIT=1600

# The checks' tenant (galerachk) with a find plan of GALERA_RATE_LIMIT
# requests a minute per key, an access token and two secret keys:
# GALERA_RATE_KEY for the burst, GALERA_WRITE_KEY for the content writes.
galera_checks_setup() {
	local conf="$CLUSTER_DIR/web1/intuka.conf" password answer url key
	password=$(openssl rand -hex 12)
	intuka_admin -c "$conf" tenant create galerachk "Galera checks" >/dev/null || return 1
	intuka_run env INTUKA_USER_PASSWORD="$password" "$INTUKA_ADMIN_BIN" -c "$conf" user create galerachk \
		admin@galerachk.test --name "Check Runner" </dev/null >/dev/null || return 1
	intuka_admin -c "$conf" find-plan set galerachk pro --max-webhooks 5 --rate-per-minute "$GALERA_RATE_LIMIT" \
		--rate-per-hour 10000000 >/dev/null || return 1
	url=$(sed -n 1p "$CLUSTER_DIR/urls")
	answer=$(curl -sS --max-time 30 -H 'Content-Type: application/json' \
		-d "{\"email\":\"admin@galerachk.test\",\"password\":\"$password\",\"tenantSlug\":\"galerachk\"}" \
		"$url/api/v1/auth/login") || return 1
	GALERA_CHECK_TOKEN=$(jq -r '.data.accessToken // empty' <<<"$answer")
	[[ -n "$GALERA_CHECK_TOKEN" ]] || { log "galera checks: login failed: $answer"; return 1; }
	for key in GALERA_RATE_KEY GALERA_WRITE_KEY; do
		answer=$(curl -sS --max-time 30 -H "Authorization: Bearer $GALERA_CHECK_TOKEN" \
			-H 'Content-Type: application/json' -d "{\"label\":\"$key\",\"keyType\":\"secret\"}" \
			"$url/api/v1/find/provision/keys") || return 1
		printf -v "$key" '%s' "$(jq -r '.data.key // empty' <<<"$answer")"
		[[ -n "${!key}" ]] || { log "galera checks: no secret key: $answer"; return 1; }
	done
	GALERA_CHECK_TENANT_ID=$(mariadb_sql "$CLUSTER_DIR/db1" "$INTUKA_DB_NAME" -e \
		"SELECT tenant_id FROM tenants WHERE slug = 'galerachk'")
}

# One find key, requests sent alternately to web node 1 and web node 2 by
# 24 parallel clients, twice its per-minute limit in all, within one
# clock-aligned minute. Every unit is counted in the shared rate_counters
# row, so at most GALERA_RATE_LIMIT are accepted; what workers leased and
# did not use is lost, at most workers x 2 nodes x 32, so at least the
# limit less that.
galera_rate_check() {
	local -a urls
	local result work="$CLUSTER_DIR/rate-check" workers unused_max floor windows accepted answered refused
	mapfile -t urls <"$CLUSTER_DIR/urls"
	mkdir -p "$work"
	workers=$(sed -n 's/^workers = //p' "$CLUSTER_DIR/web1/intuka.conf")
	unused_max=$((workers * 2 * 32))
	floor=$((GALERA_RATE_LIMIT - unused_max))
	# A minute window starts at :00; the burst (3 s here, more on a loaded
	# machine) must not straddle two.
	if (($(date +%s) % 60 > 40)); then
		log "galera rate check: waiting $((60 - $(date +%s) % 60)) s for a fresh minute window"
		sleep $((60 - $(date +%s) % 60 + 1))
	fi
	result=$(python3 "$INTUKA_REPO/tests/figures_client.py" burst --url "${urls[0]}" --url "${urls[1]}" \
		--path /api/v1/find/webhooks/events --count $((GALERA_RATE_LIMIT * 2)) --parallel 24 \
		--header "Authorization: Bearer $GALERA_RATE_KEY") || return 1
	printf '%s\n' "$result" >"$work/burst.json"
	windows=$(jq '.accepted_by_window | length' <<<"$result")
	accepted=$(jq '[.accepted_by_window[]] | max // 0' <<<"$result")
	answered=$(jq '[.statuses | to_entries[] | select(.key != "0") | .value] | add // 0' <<<"$result")
	refused=$(jq '.statuses["429"] // 0' <<<"$result")
	printf 'galera rate limit across web nodes: accepted %s of %s requests (limit %s a minute, at least %s by the lease bound; %s refused 429; %s window(s); web node 1 %s, web node 2 %s; %s s)\n' \
		"$accepted" "$((GALERA_RATE_LIMIT * 2))" "$GALERA_RATE_LIMIT" "$floor" "$refused" "$windows" \
		"$(jq -c --arg u "${urls[0]}" '.by_url[$u]' <<<"$result")" "$(jq -c --arg u "${urls[1]}" '.by_url[$u]' <<<"$result")" \
		"$(jq .seconds <<<"$result")" | tee -a "$GALERA_FIGURES"
	check "galera: one find key's requests through both web nodes: one window, at most the limit ($GALERA_RATE_LIMIT) accepted, at least $floor" \
		test "$windows" -eq 1 -a "$accepted" -le "$GALERA_RATE_LIMIT" -a "$accepted" -ge "$floor"
	check "galera: every request of the rate burst answered 2xx or 429" \
		test "$((accepted + refused))" -eq "$((GALERA_RATE_LIMIT * 2))" -a "$answered" -eq "$((GALERA_RATE_LIMIT * 2))"
}

galera_deliverers_alive() {
	proc_alive "$(deliverer_pid "$CLUSTER_DIR/web1")" && proc_alive "$(deliverer_pid "$CLUSTER_DIR/web2")"
}

galera_port_taken() { ! port_is_free "$1"; }

# Deliveries of tenant galerachk that have finished, succeeded or not.
galera_deliveries_done() {
	[[ "$(mariadb_sql "$CLUSTER_DIR/db2" "$INTUKA_DB_NAME" -e "SELECT COUNT(*) FROM find_webhook_deliveries
		WHERE tenant_id = $GALERA_CHECK_TENANT_ID AND status <> 'pending'")" -ge "$1" ]]
}

# With both web nodes' deliverers running: a webhook to a local receiver,
# GALERA_WEBHOOK_EVENTS product writes alternately through both web nodes
# (one product.upsert event each); every event must reach the receiver
# exactly once, and both deliverers must have sent some. The claim token is
# random per claim and cleared with the outcome, so the table does not say
# which deliverer sent a delivery: each deliverer's log line does.
GALERA_WEBHOOK_EVENTS=200
galera_webhook_check() {
	local -a urls
	local work="$CLUSTER_DIR/webhook-check" port receiver_pid answer webhook_id result node pattern
	local events received distinct missing duplicates writes sent1 sent2 began
	mapfile -t urls <"$CLUSTER_DIR/urls"
	mkdir -p "$work"
	: >"$work/received.txt"
	check "galera: a webhook deliverer runs on each web node" galera_deliverers_alive
	port=$(port_find_free) || return 1
	python3 "$INTUKA_REPO/tests/figures_client.py" receiver --port "$port" --delay-ms 20 \
		--log "$work/received.txt" &
	receiver_pid=$!
	wait_until 10 galera_port_taken "$port" || { kill "$receiver_pid"; log "galera webhook check: no receiver"; return 1; }
	answer=$(curl -sS --max-time 30 -H "Authorization: Bearer $GALERA_WRITE_KEY" -H 'Content-Type: application/json' \
		-d "{\"name\":\"galera\",\"url\":\"http://127.0.0.1:$port/hook\",\"events\":[\"product.upsert\"]}" \
		"${urls[1]}/api/v1/find/webhooks") || true
	webhook_id=$(jq -r '.data.id // empty' <<<"$answer" 2>/dev/null)
	if [[ -z "$webhook_id" ]]; then
		kill "$receiver_pid"
		log "galera webhook check: creating the webhook failed: $answer"
		return 1
	fi
	began=$SECONDS
	result=$(python3 "$INTUKA_REPO/tests/figures_client.py" burst --url "${urls[0]}" --url "${urls[1]}" \
		--method POST --path /api/v1/find/products --count "$GALERA_WEBHOOK_EVENTS" --parallel 8 \
		--header "Authorization: Bearer $GALERA_WRITE_KEY" --header 'X-Workspace-ID: galera-shop' \
		--body '{"id":"gw-{i}","name":"Galera product {i}"}') || true
	writes=$(jq '[.statuses | to_entries[] | select(.key | test("^2")) | .value] | add // 0' <<<"$result")
	wait_until 60 galera_deliveries_done "$writes" || log "galera webhook check: deliveries still pending after 60 s"
	# A delivery sent twice would reach the receiver about when its first
	# copy was recorded: a moment more for stragglers.
	sleep 2
	kill "$receiver_pid"
	wait "$receiver_pid" 2>/dev/null || true
	mariadb_sql "$CLUSTER_DIR/db2" "$INTUKA_DB_NAME" -e "SELECT event_id FROM find_webhook_deliveries
		WHERE tenant_id = $GALERA_CHECK_TENANT_ID AND webhook_id = $webhook_id" | sort >"$work/events.txt"
	sort "$work/received.txt" >"$work/received-sorted.txt"
	events=$(wc -l <"$work/events.txt")
	received=$(wc -l <"$work/received-sorted.txt")
	distinct=$(sort -u "$work/received-sorted.txt" | wc -l)
	missing=$(comm -23 "$work/events.txt" <(sort -u "$work/received-sorted.txt") | wc -l)
	duplicates=$((received - distinct))
	# "webhook delivery N tenant T webhook W event product.upsert attempt 1: HTTP 200 ..."
	pattern="tenant $GALERA_CHECK_TENANT_ID webhook $webhook_id event "
	sent1=$(grep -c -F "$pattern" "$CLUSTER_DIR/web1/deliverer.log" || true)
	sent2=$(grep -c -F "$pattern" "$CLUSTER_DIR/web2/deliverer.log" || true)
	printf 'galera webhook deliveries across web nodes: %s events from %s of %s writes, received %s, missing %s, duplicates %s; sent by deliverer 1 %s, deliverer 2 %s; %s s\n' \
		"$events" "$writes" "$GALERA_WEBHOOK_EVENTS" "$received" "$missing" "$duplicates" "$sent1" "$sent2" \
		"$((SECONDS - began))" | tee -a "$GALERA_FIGURES"
	check "galera: every write through both web nodes made one event" \
		test "$writes" -eq "$GALERA_WEBHOOK_EVENTS" -a "$events" -eq "$writes"
	check "galera: each webhook event delivered exactly once across both deliverers (0 missing, 0 duplicates)" \
		test "$missing" -eq 0 -a "$duplicates" -eq 0 -a "$received" -eq "$events"
	check "galera: both web nodes' deliverers sent deliveries, $events in all" \
		test "$sent1" -gt 0 -a "$sent2" -gt 0 -a "$((sent1 + sent2))" -eq "$events"
}

# galera_fault NAME KILL_CMD RESTART_CMD: 20 clients (10 starting on each
# web node, moving to the other after an unclear answer) create leads with
# Idempotency-Keys for 45 s; at 10 s KILL_CMD, at 25 s RESTART_CMD. Then
# every acknowledged create must be stored once. Prints the figures, one a
# line, and appends them to GALERA_FIGURES.
galera_fault() {
	local name="$1" kill_cmd="$2" restart_cmd="$3" prefix="gf$1$$" work="$CLUSTER_DIR/fault-$1"
	local client="$INTUKA_REPO/tests/figures_client.py" client_pid result lost restarted_s=- share
	local -a urls
	mapfile -t urls < "$CLUSTER_DIR/urls"
	mkdir -p "$work"
	log "===== fault run: $name ====="
	python3 "$client" creates --url "${urls[0]}" --url "${urls[1]}" --token "$GALERA_TOKEN" --clients 20 \
		--seconds 45 --retry-s 60 --prefix "$prefix" --out "$work/acknowledged.tsv" \
		--journal "$work/journal.tsv" >"$work/creates.json" &
	client_pid=$!
	sleep 10
	log "fault run $name: $kill_cmd"
	eval "$kill_cmd" || log "fault run $name: the kill command failed"
	sleep 15
	log "fault run $name: $restart_cmd"
	local began=$SECONDS
	if eval "$restart_cmd"; then
		restarted_s=$((SECONDS - began))
	else
		log "fault run $name: the restart command failed"
	fi
	wait "$client_pid" || true
	result=$(cat "$work/creates.json")
	mariadb_sql "$CLUSTER_DIR/db2" "$INTUKA_DB_NAME" -e \
		"SELECT lead_id, last_name FROM sales_leads WHERE tenant_id = $GALERA_TENANT_ID AND last_name LIKE '$prefix-%'" \
		>"$work/rows.tsv"
	lost=$(python3 "$client" lost "$work/acknowledged.tsv" "$work/rows.tsv")
	share=$(jq -r '(.failed_requests * 1000 / (if .requests > 0 then .requests else 1 end) | round) / 10' <<<"$result")
	{
		printf 'galera %s: acknowledged writes %s, lost %s\n' "$name" "$(jq .acknowledged <<<"$result")" "$(jq .lost <<<"$lost")"
		printf 'galera %s: stored twice %s\n' "$name" "$(jq .duplicates <<<"$lost")"
		printf 'galera %s: failed requests %s of %s (%s%%), unanswered creates %s, refused %s\n' "$name" \
			"$(jq .failed_requests <<<"$result")" "$(jq .requests <<<"$result")" "$share" \
			"$(jq .unanswered <<<"$result")" "$(jq .refused <<<"$result")"
		printf 'galera %s: writes did not succeed for %s s at most (from %s s; the kill was at 10 s)\n' "$name" \
			"$(jq .longest_write_gap_s <<<"$result")" "$(jq .longest_write_gap_from_s <<<"$result")"
		printf 'galera %s: restart took %s s; statuses %s\n' "$name" "$restarted_s" "$(jq -c .statuses <<<"$result")"
	} | tee -a "$GALERA_FIGURES"
	check "galera $name: no acknowledged write lost, none stored twice" \
		test "$(jq '.lost + .duplicates' <<<"$lost")" -eq 0
	galera_trace_keys "$work" "$(jq -r '(.lost_first + .duplicates_first)[]' <<<"$lost")"
	jq -e '.refused > 0' <<<"$result" >/dev/null && log "fault run $name: refused first: $(jq -c .refused_first <<<"$result")"
	check "galera $name: every create answered, each 201 with its record" \
		test "$(jq '.unanswered + .refused + .acknowledged_without_id' <<<"$result")" -eq 0
	jq -e '.acknowledged_without_id > 0' <<<"$result" >/dev/null &&
		log "fault run $name: a 201 without the record: $(jq -c .without_id_first <<<"$result")"
	galera_trace_keys "$work" "$(jq -r '.without_id_first[0] // empty' <<<"$result")"
	check "galera $name: all database nodes Synced again" wait_until 120 galera_all_synced
}

# For each KEY (newline-separated) of a fault run's WORK directory that was
# lost or stored twice: its requests from the client's journal, the
# database rows with its name, and every intukad log line of those
# requests' ids on both web nodes: what a failure is traced by.
galera_trace_keys() {
	local work="$1" keys="$2" key id node
	[[ -n "$keys" ]] || return 0
	while IFS= read -r key; do
		[[ -n "$key" ]] || continue
		log "trace of $key: requests (sent s, answered s, key, web node, status, request id, replayed, body)"
		grep -F "	$key	" "$work/journal.tsv" >&2 || true
		for node in "$CLUSTER_DIR"/db[0-9]*; do
			log "trace of $key: rows (lead_id, last_name, created_at) on ${node##*/}"
			mariadb_sql "$node" "$INTUKA_DB_NAME" -e "SELECT lead_id, last_name, created_at FROM sales_leads
				WHERE tenant_id = $GALERA_TENANT_ID AND last_name = '$key'" >&2 || true
			mariadb_sql "$node" "$INTUKA_DB_NAME" -e "SELECT COUNT(*) AS idempotency_rows FROM idempotency_keys
				WHERE tenant_id = $GALERA_TENANT_ID AND key_hash = UNHEX(SHA2(CONCAT('key', CHAR(10), '$key'), 256))" >&2 || true
		done
		for id in $(grep -F "	$key	" "$work/journal.tsv" | cut -f6 | sort -u); do
			[[ "$id" == - ]] && continue
			grep -h -F "$id" "$CLUSTER_DIR"/web*/intukad.log >&2 || true
		done
	done <<<"$keys"
}

# The joiner's log says "SST received" after an incremental transfer too;
# a full copy is the rsync script's "SST completed on joiner".
galera_caught_up_by_ist() {
	grep -q 'IST received' "$1" && ! grep -q 'SST completed on joiner' "$1"
}

# Kills web node 1 whole: its lighttpd and its intukad master and workers.
galera_kill_web_node() {
	local state="$CLUSTER_DIR/web1" pid
	for pid in "$(web_pid "$state")" "$(intukad_pid "$state")"; do
		[[ -n "$pid" ]] && kill -KILL -- "-$pid" 2>/dev/null
	done
	rm -f "$state/pids/web.pid" "$state/pids/intukad.pid" "$(stack_socket "$state")" "$(stack_master_pidfile "$state")"
}

galera_restart_web_node() {
	local state="$CLUSTER_DIR/web1"
	intukad_start "$state" "$(cat "$state/config")" && lighttpd_start "$state" "$(cat "$state/port")"
}

phase_galera() {
	local began=$SECONDS i node
	local -a suites=("${ITEST_SUITES[@]}")
	((${#suites[@]} > 0)) || suites=("${GALERA_SUITES[@]}")
	CLUSTER_DIR="$TEST_ROOT/cluster"
	GALERA_FIGURES="$TEST_ROOT/galera-figures.txt"
	: >"$GALERA_FIGURES"
	log "===== Galera: 3 database nodes, 2 web nodes ====="
	if ! INTUKA_CLUSTER_DIR="$CLUSTER_DIR" "$DEPLOY_DIR/cluster.sh" start 3; then
		fail 1 "galera: deploy/cluster.sh start failed"
		return 0
	fi
	check "galera: 3 database nodes Synced" galera_all_synced
	check "galera: schema applied once (one row per migration)" test "$(mariadb_sql "$CLUSTER_DIR/db3" \
		"$INTUKA_DB_NAME" -e 'SELECT COUNT(*) = COUNT(DISTINCT version) FROM schema_migrations')" = 1
	check "galera: every table InnoDB (Galera replicates nothing else)" test "$(mariadb_sql "$CLUSTER_DIR/db2" -e \
		"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$INTUKA_DB_NAME' AND ENGINE <> 'InnoDB'")" = 0
	# One suite on web node 1, the next on web node 2, and so on.
	for ((i = 0; i < ${#suites[@]}; i++)); do
		node=$((i % 2 + 1))
		galera_itest "$node" "${suites[i]}"
		wait_until 120 galera_all_synced || log "galera: not all nodes Synced after ${suites[i]}"
	done
	if galera_checks_setup; then
		galera_rate_check || fail 1 "galera: the rate check did not run"
		galera_webhook_check || fail 1 "galera: the webhook check did not run"
	else
		fail 1 "galera: setup of the rate and webhook checks (tenant, user, keys) failed"
	fi
	if galera_fault_setup; then
		galera_fault database_node_killed \
			"galera_node_kill '$CLUSTER_DIR/db1'" "galera_node_start '$CLUSTER_DIR/db1' >/dev/null"
		# Node 1 bootstrapped the cluster: any state transfer it logs is the
		# fault run's, and it must be the incremental one.
		check "galera: the killed database node caught up by IST, not a full copy" \
			galera_caught_up_by_ist "$CLUSTER_DIR/db1/error.log"
		galera_fault web_node_killed galera_kill_web_node galera_restart_web_node
	else
		fail 1 "galera: fault run setup (tenant, user, login) failed"
	fi
	log "galera phase took $((SECONDS - began)) s"
	printf 'galera: phase took %d s\n' "$((SECONDS - began))" >>"$GALERA_FIGURES"
	# The figures in tests/FIGURES.md are rewritten by the explicit --galera
	# run only: the default run leaves the tree as it found it.
	((GALERA == 0)) || galera_write_figures
}

# Replaces the Galera section of tests/FIGURES.md with this run's figures.
galera_write_figures() {
	local file="$INTUKA_REPO/tests/FIGURES.md" section="$TEST_ROOT/galera-section.md"
	{
		printf '## Galera fault runs\n\n'
		printf 'Written by `deploy/test.sh --galera`: 3 MariaDB Galera nodes (galera-4,\n'
		printf 'rsync state transfers) and 2 web nodes (4 intukad workers and lighttpd\n'
		printf 'each, db_hosts of both starting at database node 1, the writer), on\n'
		printf 'loopback, debug build. 20 clients create leads with Idempotency-Keys\n'
		printf 'for 45 s, 10 starting on each web node and moving to the other after\n'
		printf 'an unclear answer; the node (database node 1, web node 1) is SIGKILLed\n'
		printf 'at 10 s and started again at 25 s. Before the fault runs, two checks\n'
		printf 'across both web nodes: one find key (plan limit 1600 a minute) sends\n'
		printf '3200 requests alternately to the two nodes within one minute window\n'
		printf '(accepted: at most 1600, at least 1600 - 4 workers x 2 nodes x 32\n'
		printf 'leased units = 1344); 200 product writes through both nodes, each\n'
		printf 'event delivered to a local receiver by the two deliverers.\n\n'
		printf -- '- date: %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
		printf -- '- commit: %s\n' "$(git -C "$INTUKA_REPO" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
		printf -- '- machine: %s CPUs\n\n' "$(nproc)"
		printf '```\n'
		cat "$GALERA_FIGURES"
		printf '```\n'
	} >"$section"
	if grep -q '^## Galera fault runs' "$file"; then
		# Everything from the heading to the next "## " heading is ours.
		awk -v section="$section" '
			/^## Galera fault runs/ { while ((getline line < section) > 0) print line; skip = 1; next }
			skip && /^## / { skip = 0 }
			!skip { print }
		' "$file" >"$file.tmp" && mv "$file.tmp" "$file"
	else
		{ printf '\n'; cat "$section"; } >>"$file"
	fi
}

main() {
	local flavour started
	case "${1:-}" in
	--sanitize) SANITIZE=1 ;;
	--package)
		PACKAGE_ONLY=1
		SERVERS=package
		;;
	--galera)
		GALERA=1
		SERVERS=galera
		;;
	"") ;;
	-h | --help)
		sed -n '2,37p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		return 0
		;;
	*) die "unknown argument: $1 (--sanitize, --package or --galera)" ;;
	esac
	for flavour in $SERVERS; do
		case "$flavour" in
		lighttpd | apache | fcgid | shared | package | galera) ;;
		*) die "INTUKA_TEST_SERVERS: unknown flavour '$flavour' (lighttpd, apache, fcgid, shared, package, galera)" ;;
		esac
	done
	((EUID == 0)) || [[ " $SERVERS " != *" package "* && " $SERVERS " != *" shared "* ]] ||
		die "the package and shared flavours install packages and create a user: run as root, or leave them out of INTUKA_TEST_SERVERS"
	trap on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	deps_ensure test
	started=$SECONDS
	phase_build || bail "build (autoreconf, ./configure or make) failed"
	timed_since build "$started"
	TEST_ROOT=$(mktemp -d /tmp/intuka-test.XXXXXX)
	# The web server user must pass through to the state directories.
	chmod 0711 "$TEST_ROOT"
	log "test state in $TEST_ROOT"

	if ((PACKAGE_ONLY)); then
		log "--package: unit tests, distcheck and fuzzing not run (the package build runs make check)"
	else
		started=$SECONDS
		phase_unit_tests
		timed_since "unit tests" "$started"
		if ((GALERA)); then
			# The fuzz targets and the single-server flavours are the plain run's.
			phase_build_itest || bail "make tests/integration/intuka-itest failed"
			llm_stub_start || bail "the language-model stub (tests/llm_stub) did not start"
			started=$SECONDS
			phase_galera
			timed_since galera "$started"
			check "no sanitizer report in server or worker logs" check_sanitizer_logs
			teardown
			print_summary
			trap - EXIT
			((FAILED == 0))
			return
		fi
		started=$SECONDS
		phase_distcheck
		timed_since distcheck "$started"
		started=$SECONDS
		phase_fuzz
		timed_since fuzzing "$started"
	fi
	phase_build_itest || bail "make tests/integration/intuka-itest failed"

	DB_DIR="$TEST_ROOT/mariadb"
	SECRETS="$TEST_ROOT/secrets.conf"
	mariadb_start "$DB_DIR" || bail "private MariaDB did not start"
	mariadb_setup_app "$DB_DIR" "$SECRETS" || bail "creating the intuka database and user failed"
	secrets_ensure_jwt_key "$SECRETS" || bail "writing a JWT key into the secrets file failed"
	check "MariaDB: user intuka logs in with the generated password" mariadb_check_app_login "$DB_DIR" "$SECRETS"

	((PACKAGE_ONLY)) || phase_config_checks
	((PACKAGE_ONLY)) || phase_db_checks
	((PACKAGE_ONLY)) || llm_stub_start || bail "the language-model stub (tests/llm_stub) did not start"
	for flavour in $SERVERS; do
		started=$SECONDS
		case "$flavour" in
		shared) phase_shared "$TEST_ROOT/shared" ;;
		package) phase_package "$TEST_ROOT/package" ;;
		galera) phase_galera ;;
		*) phase_flavour "$flavour" ;;
		esac
		timed_since "$flavour" "$started"
	done
	check "no sanitizer report in server or worker logs" check_sanitizer_logs

	teardown
	print_summary
	trap - EXIT
	((FAILED == 0))
}

main "$@"
