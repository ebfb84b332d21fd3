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
# suite. Ends with the time each phase took and one line "N passed, N failed".
#
#   deploy/test.sh              debug build (-O0 -g -Werror)
#   deploy/test.sh --sanitize   debug build with ASan + UBSan (or INTUKA_SANITIZE=1)
#   deploy/test.sh --package    only the Debian package: build, install, start, smoke suite
#
# Environment: INTUKA_TEST_SERVERS (default "lighttpd apache fcgid shared package"),
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

SERVERS="${INTUKA_TEST_SERVERS:-lighttpd apache fcgid shared package}"
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
	log "make tests/integration/intuka-itest tests/llm_stub/llm-stub"
	(cd "$INTUKA_REPO" && make -j2 tests/integration/intuka-itest tests/llm_stub/llm-stub)
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
	local label="$1" logfile="$2" rc=0 passed failed runs
	local -a environment=()
	shift 2
	while (($# > 0)) && [[ "$1" != -- ]]; do
		environment+=("$1")
		shift
	done
	shift
	if env "${environment[@]}" timeout --foreground --kill-after=10 "$ITEST_TIMEOUT_S" "$@" </dev/null 2>&1 |
		tee "$logfile"; then
		rc=0
	else
		rc=${PIPESTATUS[0]}
	fi
	read -r passed failed runs < <(cunit_counts "$logfile")
	pass "$passed"
	((failed == 0)) || fail "$failed" "$label: $failed integration test(s) failed"
	if ((runs == 0)); then
		fail 1 "$label: intuka-itest printed no CUnit run summary (exit $rc)"
	elif ((rc != 0 && failed == 0)); then
		fail 1 "$label: intuka-itest exited with status $rc"
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

main() {
	local flavour started
	case "${1:-}" in
	--sanitize) SANITIZE=1 ;;
	--package)
		PACKAGE_ONLY=1
		SERVERS=package
		;;
	"") ;;
	-h | --help)
		sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		return 0
		;;
	*) die "unknown argument: $1 (--sanitize or --package)" ;;
	esac
	for flavour in $SERVERS; do
		case "$flavour" in
		lighttpd | apache | fcgid | shared | package) ;;
		*) die "INTUKA_TEST_SERVERS: unknown flavour '$flavour' (lighttpd, apache, fcgid, shared, package)" ;;
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
	((PACKAGE_ONLY)) || llm_stub_start || bail "the language-model stub (tests/llm_stub) did not start"
	for flavour in $SERVERS; do
		started=$SECONDS
		case "$flavour" in
		shared) phase_shared "$TEST_ROOT/shared" ;;
		package) phase_package "$TEST_ROOT/package" ;;
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
