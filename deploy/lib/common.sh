# shellcheck shell=bash
# Small helpers shared by the deploy scripts: messages, process control that
# only ever touches pids we recorded, free-port search and polling.
# Sourced, never executed.

# Repository root, whatever the caller's working directory is.
INTUKA_REPO="${INTUKA_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

# The unprivileged user the web servers drop to when started as root (Debian's).
INTUKA_WEB_USER="${INTUKA_WEB_USER:-www-data}"
INTUKA_WEB_GROUP="${INTUKA_WEB_GROUP:-www-data}"

log() {
	printf '[intuka] %s\n' "$*" >&2
}

die() {
	log "error: $*"
	exit 1
}

# True when PID names a live process. A zombie counts as dead: a daemon we
# started in this shell and that was stopped by someone else (the integration
# test stops MariaDB) stays a zombie until we reap it, and must not make a
# "wait until it is gone" loop spin until its timeout.
proc_alive() {
	local pid="$1" stat
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	# Field 3 is the state; field 2 (comm) is in parentheses and may hold spaces.
	stat="${stat##*) }"
	[[ "${stat%% *}" != "Z" ]]
}

# True when PID is alive and its command name or command line mentions NAME.
# Guards against signalling an unrelated process that inherited a stale pid.
proc_matches() {
	local pid="$1" name="$2" comm cmdline
	proc_alive "$pid" || return 1
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ "$comm" == *"$name"* || "$cmdline" == *"$name"* ]]
}

# Reap PID if it is our child so it does not linger as a zombie; silent otherwise.
proc_reap() {
	wait "$1" 2>/dev/null || true
}

# Polls until PID is gone, up to TIMEOUT_S seconds. Returns 1 on timeout.
proc_wait_gone() {
	local pid="$1" timeout_s="$2" tries
	tries=$((timeout_s * 10))
	while proc_alive "$pid"; do
		((tries-- > 0)) || return 1
		sleep 0.1
	done
	proc_reap "$pid"
	return 0
}

# Stops the process PID (expected to be NAME): SIGNAL, up to TIMEOUT_S seconds
# to exit, then SIGKILL. Returns 0 once it is gone (also when it already was).
proc_stop() {
	local name="$1" pid="$2" timeout_s="$3" signal="${4:-TERM}"
	if ! proc_matches "$pid" "$name"; then
		proc_reap "$pid"
		return 0
	fi
	kill -s "$signal" "$pid" 2>/dev/null || true
	if ! proc_wait_gone "$pid" "$timeout_s"; then
		log "$name (pid $pid) still running after ${timeout_s}s: SIGKILL"
		kill -s KILL "$pid" 2>/dev/null || true
		proc_wait_gone "$pid" 5 || return 1
	fi
	return 0
}

# Prints the pid stored in FILE, or nothing when the file is missing or garbage.
pidfile_read() {
	local pid=""
	if [[ -r "$1" ]]; then
		read -r pid <"$1" 2>/dev/null || true
	fi
	if [[ "$pid" =~ ^[0-9]+$ ]]; then
		printf '%s\n' "$pid"
	fi
}

# Runs "$@" every 0.1 s until it succeeds or TIMEOUT_S seconds have passed.
# Exit status 2 from the command means "hopeless, stop waiting" (e.g. the
# daemon being waited for has died) and is passed on at once.
wait_until() {
	local timeout_s="$1" tries rc
	shift
	tries=$((timeout_s * 10))
	while true; do
		rc=0
		"$@" || rc=$?
		((rc == 0)) && return 0
		((rc == 2)) && return 2
		((tries-- > 0)) || return 1
		sleep 0.1
	done
}

# True when nothing listens on 127.0.0.1:PORT (or on the wildcard address).
port_is_free() {
	local port="$1"
	if command -v ss >/dev/null 2>&1; then
		# ss sees listeners on any address, including 0.0.0.0 and [::].
		[[ -z "$(ss -Htln "sport = :$port" 2>/dev/null)" ]]
	else
		# Fallback: a successful connect means somebody listens.
		! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
	fi
}

# Prints a free TCP port. Starts at a random point so parallel runs rarely
# race for the same port; the range stays clear of the usual service ports and
# below the kernel's ephemeral range (32768+).
port_find_free() {
	local port tries=500
	port=$((20000 + RANDOM % 12000))
	while ((tries-- > 0)); do
		if port_is_free "$port"; then
			printf '%s\n' "$port"
			return 0
		fi
		port=$((port + 1))
		((port < 32000)) || port=20000
	done
	log "no free TCP port found in 20000-31999"
	return 1
}

# Unix socket paths are limited to 108 bytes (sun_path); fail early with a
# clear message instead of an obscure bind() error deep inside a daemon.
check_socket_path() {
	local path="$1"
	if ((${#path} > 100)); then
		die "socket path too long (${#path} bytes, max 100): $path; use a shorter INTUKA_STATE_DIR"
	fi
}

# Replaces @KEY@ placeholders in template SRC and writes DST. Arguments after
# the two paths are KEY=VALUE pairs. Values are escaped for sed, so paths with
# slashes or ampersands are fine. Comment lines are left as written: they
# document the placeholders for people reading the rendered file.
render_template() {
	local src="$1" dst="$2" pair key value script="" leftover
	shift 2
	for pair in "$@"; do
		key="${pair%%=*}"
		value="${pair#*=}"
		value=$(printf '%s' "$value" | sed -e 's/[\\|&]/\\&/g')
		script+="/^[[:space:]]*#/!s|@${key}@|${value}|g;"
	done
	sed -e "$script" "$src" >"$dst.tmp"
	leftover=$(grep -v '^[[:space:]]*#' "$dst.tmp" | grep -o '@[A-Z][A-Z_]*@' | sort -u | tr '\n' ' ' || true)
	if [[ -n "$leftover" ]]; then
		log "unrendered placeholders left in $dst: $leftover"
		rm -f "$dst.tmp"
		return 1
	fi
	mv "$dst.tmp" "$dst"
}

# Prints the last lines of each existing file, with a header, for post-mortems.
show_log_tails() {
	local file lines="${LOG_TAIL_LINES:-40}"
	for file in "$@"; do
		[[ -s "$file" ]] || continue
		printf '\n===== last %s lines of %s =====\n' "$lines" "$file" >&2
		tail -n "$lines" "$file" >&2
	done
}

# Shell-quotes a command line for /bin/sh (dash). printf %q may emit bash-only
# $'...' forms for odd characters; plain paths come out as portable words.
shell_quote() {
	local out="" arg
	for arg in "$@"; do
		out+="$(printf '%q' "$arg") "
	done
	printf '%s\n' "${out% }"
}
