#!/usr/bin/env bash
# Builds every fuzz target of tests/fuzz with clang and libFuzzer (ASan +
# UBSan, the product sources each needs compiled in directly) and runs each
# on a copy of its seed corpus for SECONDS (default 60). The committed corpus
# is never written to. Fails on any crash, leak, timeout, sanitizer report or
# failed property, naming the target and the saved reproducer.
#
#   tests/fuzz/run.sh [SECONDS [TARGET...]]   (make fuzz FUZZ_SECONDS=N)
#
# SECONDS 0 builds and runs each seed once, under the sanitizers. Targets:
# json_strict request query jwt find_search (default all).
# Environment: INTUKA_FUZZ_DIR, the scratch directory (default .fuzz in the
# tree, git-ignored): objects, binaries, and per target run/<target>/ with
# the working corpus, log and reproducers, kept until the next run of that
# target. CLANG (default clang).
# Prints one line per target:
#   fuzz <target>: ok, <N> executions in <S> s, coverage <C> edges, <F> features, corpus <K> inputs
#   fuzz <target>: FAILED (<what>), reproducer <path>
# and ends with "fuzz: N passed, N failed".
set -euo pipefail

FUZZ_SOURCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$FUZZ_SOURCE_DIR/../.." && pwd)"
SECONDS_EACH="${1:-60}"
shift || true
WORK="${INTUKA_FUZZ_DIR:-$REPO/.fuzz}"
CLANG="${CLANG:-clang}"

ALL_TARGETS=(json_strict request query jwt find_search)
read -r -a TARGETS <<<"${*:-${ALL_TARGETS[*]}}"

# The product sources each target compiles in (beside tests/fuzz/fuzz_<target>.c).
FUZZ_CORE="src/core/json_strict.c src/core/alloc.c src/core/log.c src/core/hex.c"
FUZZ_HTTP="$FUZZ_CORE src/core/arena.c src/core/status.c src/core/config.c \
src/http/request.c src/http/json_body.c src/http/response.c"
declare -A TARGET_SOURCES=(
	[json_strict]="$FUZZ_CORE"
	[request]="$FUZZ_HTTP"
	[query]="$FUZZ_HTTP src/http/query.c src/http/timestamp.c"
	[jwt]="$FUZZ_CORE src/auth/jwt.c"
	[find_search]="$FUZZ_CORE src/core/status.c src/core/config.c src/http/response.c \
src/http/validate.c src/core/identifiers.c src/http/timestamp.c src/modules/find_query.c src/modules/find_documents.c src/modules/find_index.c"
)
# libFuzzer options beyond the common ones: inputs longer than the default
# 4096 bytes where the parser has a limit just above it to cross.
declare -A TARGET_OPTIONS=(
	[json_strict]=""
	[request]="-max_len=8192"
	[query]="-max_len=8192"
	[jwt]="-max_len=8192"
	[find_search]=""
)

log() {
	printf '[fuzz] %s\n' "$*" >&2
}

die() {
	log "error: $*"
	exit 2
}

[[ "$SECONDS_EACH" =~ ^[0-9]+$ ]] || die "SECONDS must be a whole number, not '$SECONDS_EACH'"
for target in "${TARGETS[@]}"; do
	[[ -n "${TARGET_SOURCES[$target]+set}" ]] || die "unknown target '$target' (${ALL_TARGETS[*]})"
done
command -v "$CLANG" >/dev/null || die "$CLANG not found (apt-get install clang libclang-rt-dev)"
command -v pkg-config >/dev/null || die "pkg-config not found"

# -fno-sanitize-recover: a UBSan report stops the run like an ASan one, so
# libFuzzer saves the input.
SANITIZE="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
read -r -a LIBS <<<"$(pkg-config --libs json-c libcrypto)"
# The two paths Makefile.am defines for config.c; only their defaults matter here.
read -r -a CFLAGS <<<"-g -O1 $SANITIZE -fno-omit-frame-pointer -std=c11 -D_GNU_SOURCE \
-Wall -Wextra -Wno-missing-field-initializers -I$REPO/src -I$REPO $(pkg-config --cflags json-c libcrypto) \
-DINTUKA_MIGRATIONS_DIR=\"/usr/local/share/intuka/migrations\" -DINTUKA_DEFAULT_CONFIG=\"/usr/local/etc/intuka/intuka.conf\""

# The newest header under src/ and tests/fuzz/: any object older than it is rebuilt.
newest_header() {
	find "$REPO/src" "$FUZZ_SOURCE_DIR" -name '*.h' -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-
}

# Compiles SOURCE (relative to the repository) into the object cache when
# it or a header changed; prints the object's path.
compile() {
	local source="$1" object
	object="$WORK/obj/${source//\//_}.o"
	if [[ ! -f "$object" || "$object" -ot "$REPO/$source" || "$object" -ot "$HEADER_STAMP" ]]; then
		"$CLANG" "${CFLAGS[@]}" -c "$REPO/$source" -o "$object" || return 1
	fi
	printf '%s\n' "$object"
}

build_target() {
	local target="$1" source object
	local -a objects=()
	for source in tests/fuzz/fuzz_$target.c ${TARGET_SOURCES[$target]}; do
		object=$(compile "$source") || return 1
		objects+=("$object")
	done
	"$CLANG" "${CFLAGS[@]}" "${objects[@]}" "${LIBS[@]}" -lm -o "$WORK/bin/fuzz_$target"
}

# Reads the figures of a finished run from its log into the globals below.
read_figures() {
	local run_log="$1" status_line
	EXECUTIONS=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$run_log" | tail -n 1)
	RUN_SECONDS=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$run_log" | tail -n 1)
	status_line=$(grep -E '^#[0-9]+.*cov: ' "$run_log" | tail -n 1 || true)
	COVERAGE=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$status_line")
	FEATURES=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status_line")
	CORPUS=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$status_line")
}

# What went wrong, from the log: the sanitizer's headline or the property.
failure_kind() {
	local run_log="$1" line
	line=$(grep -m 1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer): [a-zA-Z-]+|runtime error: .{0,60}|property does not hold: .{0,80}|ERROR: libFuzzer: [a-z -]+|deadly signal' "$run_log" || true)
	printf '%s\n' "${line:-exit status $2}"
}

PASSED=0
FAILED=0

# Runs TARGET for SECONDS_EACH on a copy of its corpus; prints its line.
run_target() {
	local target="$1" run="$WORK/run/$1" rc=0 dict="$FUZZ_SOURCE_DIR/dict/$1.dict" reproducer kind
	local -a options
	rm -rf "$run"
	mkdir -p "$run/corpus" "$run/artifacts"
	cp "$FUZZ_SOURCE_DIR/corpus/$target/"* "$run/corpus/"
	read -r -a options <<<"${TARGET_OPTIONS[$target]}"
	[[ -f "$dict" ]] && options+=("-dict=$dict")
	if ((SECONDS_EACH == 0)); then
		options+=(-runs=0)
	else
		options+=("-max_total_time=$SECONDS_EACH")
	fi
	# -timeout: an input that takes 10 s is a hang; -error_exitcode and
	# -timeout_exitcode keep every failure non-zero.
	ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1" \
		UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
		"$WORK/bin/fuzz_$target" "${options[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-error_exitcode=77 -timeout_exitcode=78 -artifact_prefix="$run/artifacts/" "$run/corpus" \
		>"$run/log" 2>&1 </dev/null || rc=$?
	read_figures "$run/log"
	reproducer=$(find "$run/artifacts" -type f | head -n 1)
	if ((rc != 0)) || [[ -n "$reproducer" ]] ||
		grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|property does not hold' "$run/log"; then
		kind=$(failure_kind "$run/log" "$rc")
		printf 'fuzz %s: FAILED (%s), reproducer %s\n' "$target" "$kind" "${reproducer:-none (see $run/log)}"
		printf '  replay it: %s %s   or, without clang: make check && tests/fuzz/replay_%s %s\n' \
			"$WORK/bin/fuzz_$target" "${reproducer:-<input>}" "$target" "${reproducer:-<input>}"
		grep -m 1 -B 2 -A 30 -E 'ERROR: |runtime error:|property does not hold|deadly signal' "$run/log" | head -n 40 | sed 's/^/  | /'
		FAILED=$((FAILED + 1))
		return 0
	fi
	printf 'fuzz %s: ok, %s executions in %s s, coverage %s edges, %s features, corpus %s inputs\n' "$target" \
		"${EXECUTIONS:-?}" "${RUN_SECONDS:-0}" "${COVERAGE:-?}" "${FEATURES:-?}" "${CORPUS:-?}"
	PASSED=$((PASSED + 1))
}

mkdir -p "$WORK/obj" "$WORK/bin" "$WORK/run"
HEADER_STAMP=$(newest_header)
declare -A BUILT=()
for target in "${TARGETS[@]}"; do
	log "building fuzz_$target"
	if build_target "$target" >"$WORK/build-$target.log" 2>&1; then
		BUILT[$target]=1
	else
		cat "$WORK/build-$target.log" >&2
		printf 'fuzz %s: FAILED (build), reproducer none (see %s)\n' "$target" "$WORK/build-$target.log"
		FAILED=$((FAILED + 1))
	fi
done
for target in "${TARGETS[@]}"; do
	[[ -n "${BUILT[$target]+set}" ]] || continue
	log "running fuzz_$target for ${SECONDS_EACH} s"
	run_target "$target"
done
printf 'fuzz: %d passed, %d failed\n' "$PASSED" "$FAILED"
((FAILED == 0))
