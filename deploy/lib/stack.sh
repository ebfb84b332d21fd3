# shellcheck shell=bash
# One running Intuka stack in a state directory: configuration and secrets,
# schema migration, the intukad master, a web server in front of it
# (lighttpd, Apache mod_proxy_fcgi, or Apache mod_fcgid where Apache starts
# intukad itself), the webhook delivery process (intukad
# --deliver-webhooks, the same for every flavour) and the embedding process
# (intukad --embed, likewise). Sourced; needs common.sh and mariadb.sh. Also
# run as a command, so the integration tests can restart the background
# processes or the intukad master they stopped:
#   deploy/lib/stack.sh deliverer-start|deliverer-stop|embedder-start|embedder-stop|intukad-start|web-start STATE
#
# Layout of a state directory STATE (mode 0711: the web server user may pass
# through but not list it):
#   intuka.conf            intukad / intuka-admin configuration
#   intukad.log            the master's and workers' JSON log lines (stderr)
#   deliverer.log          the webhook delivery process's JSON log lines
#   embedder.log           the embedding process's JSON log lines
#   run/                   0750 root:www-data: intuka.sock, intukad.pid
#   www/static.txt         static file served next to the API (benchmarks)
#   pids/                  pids of the processes this stack started
#   lighttpd/ apache/      rendered web server configs and their logs
#                          (lighttpd/errors/: its JSON error documents)
#   fcgid/                 Apache + mod_fcgid: httpd.conf, logs, public_html/
#                          (.htaccess, intuka.fcgi) and intuka/ (sbin/intukad,
#                          etc/intuka/{intuka,secrets}.conf), laid out as
#                          "make install" with --prefix=$HOME/intuka does
#   flavour, port, config  what is running, for "status" and "stop"

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	set -euo pipefail
	# shellcheck source=deploy/lib/common.sh
	source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fi

# Workers of the intukad master (the contract's default is 4).
INTUKA_STACK_WORKERS="${INTUKA_STACK_WORKERS:-4}"
# Drain deadline written to the config; deploy/test.sh's shutdown check uses it.
INTUKA_STACK_SHUTDOWN_TIMEOUT_S="${INTUKA_STACK_SHUTDOWN_TIMEOUT_S:-10}"
# Tenants are also reached as <slug>.<base domain> (Host header).
INTUKA_STACK_BASE_DOMAIN="${INTUKA_STACK_BASE_DOMAIN:-intuka.test}"
# Logins per 15 minutes from one client address (the product default is 10).
INTUKA_STACK_LOGIN_ADDRESS_LIMIT="${INTUKA_STACK_LOGIN_ADDRESS_LIMIT:-10}"
# refresh_reuse_grace_s of the stack: short, so the tests that present a
# retired refresh token after the window wait little (the product default is 10).
INTUKA_STACK_REFRESH_GRACE_S="${INTUKA_STACK_REFRESH_GRACE_S:-3}"
# The operator API's window for failed key attempts: short, so the test
# that exhausts it waits little (the product default is 900 s).
INTUKA_STACK_OPERATOR_WINDOW_S="${INTUKA_STACK_OPERATOR_WINDOW_S:-5}"
# Where the operator API's deletions write their exports (set by stack_up).
INTUKA_STACK_EXPORT_DIR=""
# Where the stack's mail command appends messages (set by stack_up).
INTUKA_STACK_MAIL_DIR=""
# Pause between streamed chat text chunks: the find_chat integration suite
# measures that the first chunk arrives well before the end of the body.
INTUKA_STACK_CHAT_STREAM_PACE_MS="${INTUKA_STACK_CHAT_STREAM_PACE_MS:-40}"
# Apache's Timeout under mod_fcgid: how long a client that stops reading
# keeps an intukad process busy there (see deploy/apache/intuka-fcgid.conf).
INTUKA_STACK_CLIENT_TIMEOUT_S="${INTUKA_STACK_CLIENT_TIMEOUT_S:-5}"
# send_timeout_ms of the stack: short, so the slow-reader test waits little.
INTUKA_STACK_SEND_TIMEOUT_MS="${INTUKA_STACK_SEND_TIMEOUT_MS:-3000}"
# Seconds to wait for intukad's socket and for the web server's port.
INTUKA_STACK_START_TIMEOUT_S="${INTUKA_STACK_START_TIMEOUT_S:-20}"
# webhook_allow_private_targets of the stack: 1 lets webhooks reach loopback
# and private addresses (deploy/test.sh sets it for its local receiver).
INTUKA_STACK_WEBHOOK_ALLOW_PRIVATE="${INTUKA_STACK_WEBHOOK_ALLOW_PRIVATE:-0}"
# How often an idle delivery process looks for due deliveries, ms.
INTUKA_STACK_WEBHOOK_POLL_MS="${INTUKA_STACK_WEBHOOK_POLL_MS:-500}"
# How long a claimed delivery stays with its process (35-3600 s); a killed
# deliverer's claims are retried after it.
INTUKA_STACK_WEBHOOK_LEASE_S="${INTUKA_STACK_WEBHOOK_LEASE_S:-60}"

# db_hosts of the stack: "host:port,host:port" of a Galera cluster's nodes,
# in the order its workers prefer them (deploy/cluster.sh sets it); empty
# for the single server of db_port.
INTUKA_STACK_DB_HOSTS="${INTUKA_STACK_DB_HOSTS:-}"

INTUKAD_BIN="$INTUKA_REPO/src/intukad"
INTUKA_ADMIN_BIN="$INTUKA_REPO/src/intuka-admin"

# intukad and intuka-admin read INTUKA_<KEY> variables as configuration
# overrides: a developer's exported INTUKA_DB_PORT must not silently redirect
# the stack. intuka_env_prepare fills INTUKA_ENV_UNSET with "env -u NAME" for
# every INTUKA_* variable of our environment; variables the command needs are
# passed explicitly after it: env "${INTUKA_ENV_UNSET[@]}" X=1 cmd.
INTUKA_ENV_UNSET=()
intuka_env_prepare() {
	local name
	INTUKA_ENV_UNSET=()
	while read -r name; do
		INTUKA_ENV_UNSET+=(-u "$name")
	done < <(compgen -e | grep '^INTUKA_' || true)
}

# Runs a command with a clean INTUKA_* environment (see above).
intuka_run() {
	intuka_env_prepare
	env "${INTUKA_ENV_UNSET[@]}" "$@"
}

intuka_admin() {
	intuka_run "$INTUKA_ADMIN_BIN" "$@"
}

stack_socket() { printf '%s/run/intuka.sock\n' "$1"; }
stack_master_pidfile() { printf '%s/run/intukad.pid\n' "$1"; }

# Makes the state directory and the parts every flavour uses.
stack_prepare_dirs() {
	local state="$1"
	mkdir -p "$state/run" "$state/www" "$state/pids" || return 1
	# Search-only for others: the web server user must reach run/ and www/.
	chmod 0711 "$state"
	chmod 0755 "$state/www"
	if ((EUID == 0)); then
		# The socket directory is what really guards the socket (which intukad
		# creates with socket_mode 0666, being root-owned): only root and the
		# web server group get in.
		chgrp "$INTUKA_WEB_GROUP" "$state/run"
		chmod 0750 "$state/run"
	fi
	printf 'Intuka static file\n' >"$state/www/static.txt"
	chmod 0644 "$state/www/static.txt"
	check_socket_path "$(stack_socket "$state")"
}

# Fails with a clear message when the web server user cannot reach PATH
# (typically a state directory below a 0700 home directory).
stack_check_reachable() {
	local path="$1"
	((EUID == 0)) || return 0
	if ! runuser -u "$INTUKA_WEB_USER" -- test -r "$path"; then
		die "$INTUKA_WEB_USER cannot read $path: every parent directory needs o+x (or pick another INTUKA_STATE_DIR, e.g. under /var/tmp)"
	fi
}

# Writes an intukad configuration file.
#   CONF LISTEN PID_FILE SECRETS DB_PORT
# (Functions here return non-zero on failure explicitly: callers use them in
# "if", where bash ignores set -e inside the function.)
# INTUKA_DB_NAME and INTUKA_DB_USER come from mariadb.sh, sourced by the callers.
# shellcheck disable=SC2153
stack_write_config() {
	local conf="$1" listen="$2" pid_file="$3" secrets="$4" db_port="$5"
	cat >"$conf" <<-EOF
		# Generated by deploy/lib/stack.sh for a private development/test stack.
		# Every key is documented in deploy/intuka.conf.example.
		listen = $listen
		listen_backlog = 128
		# 0666 because intukad runs as root here and the web server as
		# $INTUKA_WEB_USER: the socket's directory (0750, group $INTUKA_WEB_GROUP)
		# is what keeps other users out.
		socket_mode = 0666
		workers = $INTUKA_STACK_WORKERS
		max_requests_per_worker = 10000
		shutdown_timeout_s = $INTUKA_STACK_SHUTDOWN_TIMEOUT_S
		user =
		pid_file = $pid_file
		log_target = stderr
		log_level = info
		db_host = 127.0.0.1
		db_port = $db_port
		db_hosts = $INTUKA_STACK_DB_HOSTS
		db_socket =
		db_name = $INTUKA_DB_NAME
		db_user = $INTUKA_DB_USER
		db_connect_timeout_s = 3
		db_read_timeout_s = 10
		secrets_file = $secrets
		migrations_dir = $INTUKA_REPO/sql/migrations
		max_body_bytes = 1048576
		max_header_bytes = 16384
		max_path_bytes = 2048
		max_json_depth = 32
		max_query_params = 64
		send_timeout_ms = $INTUKA_STACK_SEND_TIMEOUT_MS
		# Tenants answer on <slug>.$INTUKA_STACK_BASE_DOMAIN as well as by tenantSlug.
		base_domain = $INTUKA_STACK_BASE_DOMAIN
		jwt_issuer = intuka
		jwt_audience = intuka-api
		access_token_ttl_s = 900
		refresh_token_ttl_s = 2592000
		refresh_reuse_grace_s = $INTUKA_STACK_REFRESH_GRACE_S
		rate_limit_per_minute = 200
		login_rate_limit = 10
		login_rate_window_s = 900
		# Everything here comes from 127.0.0.1: a per-address login limit of 10
		# would throttle the whole test suite, so it is raised on this stack.
		login_address_rate_limit = $INTUKA_STACK_LOGIN_ADDRESS_LIMIT
		forgot_rate_limit = 5
		forgot_rate_window_s = 3600
		# No mail server here: messages are appended to a file.
		mail_command = cat >> $INTUKA_STACK_MAIL_DIR/mail.log
		mail_from = intuka@localhost
		# The operator API (its key is in the secrets file).
		operator_rate_limit = 10
		operator_rate_window_s = $INTUKA_STACK_OPERATOR_WINDOW_S
		tenant_export_dir = $INTUKA_STACK_EXPORT_DIR
		# A visible typing pace, so tests can tell streamed chat from buffered.
		chat_stream_pace_ms = $INTUKA_STACK_CHAT_STREAM_PACE_MS
		# No installation-wide language model: the chat tests give their
		# tenants the loopback stub (tests/llm_stub), which a tenant's
		# provider may only reach here; a stall ends a call after 2 s.
		chat_llm_allow_private_targets = 1
		chat_llm_stall_ms = 2000
		chat_llm_timeout_ms = 8000
		# No installation-wide embeddings model either: the find_semantic
		# suite gives its tenants the stub's (find-chat-model --embedding-model).
		embed_poll_interval_ms = 200
		# Webhook deliveries (intukad --deliver-webhooks).
		webhook_allow_private_targets = $INTUKA_STACK_WEBHOOK_ALLOW_PRIVATE
		webhook_poll_interval_ms = $INTUKA_STACK_WEBHOOK_POLL_MS
		webhook_suspend_after_failures = 5
		webhook_lease_s = $INTUKA_STACK_WEBHOOK_LEASE_S
	EOF
	chmod 0644 "$conf"
}

# Makes sure SECRETS holds an operator key (operator_key), which opens the
# operator API; keeps an existing one.
secrets_ensure_operator_key() {
	local file="$1"
	if ! grep -q '^[[:space:]]*operator_key[[:space:]]*=' "$file" 2>/dev/null; then
		(
			umask 077
			printf 'operator_key = %s\n' "$(openssl rand -hex 32)" >>"$file"
		)
	fi
	chmod 0600 "$file"
}

# Makes sure SECRETS holds a JWT signing key (jwt_key.<kid>); keeps an
# existing one so tokens survive a restart of the stack.
secrets_ensure_jwt_key() {
	local file="$1"
	if ! grep -q '^[[:space:]]*jwt_key\.' "$file" 2>/dev/null; then
		(
			umask 077
			printf 'jwt_key.k1 = %s\n' "$(openssl rand -base64 48)" >>"$file"
		)
	fi
	chmod 0600 "$file"
}

stack_migrate() {
	local conf="$1" out
	log "intuka-admin migrate"
	out=$(intuka_admin -c "$conf" migrate) || {
		printf '%s\n' "$out"
		return 1
	}
	printf '%s\n' "$out"
	# Migration 0011 numbers the products and posts already stored but leaves
	# their search postings to find-reindex (docs/operations.md), and 0015
	# leaves the range maxima of the existing terms to it: an upgrade that
	# applies either indexes them at once.
	if grep -Eq '^applying (0011_find_search_index|0015_find_search_range_maxima)\.sql' <<<"$out"; then
		log "intuka-admin find-reindex (migration 0011 or 0015 was applied)"
		intuka_admin -c "$conf" find-reindex
	fi
}

# ---------------------------------------------------------------- intukad

intukad_pid() { pidfile_read "$1/pids/intukad.pid"; }

# Poll step while starting: 0 = socket is there, 1 = not yet, 2 = died.
intukad_ready() {
	local pid="$1" socket="$2"
	proc_alive "$pid" || return 2
	[[ -S "$socket" ]]
}

# Starts the intukad master of STATE with CONF and waits for its socket.
intukad_start() {
	local state="$1" conf="$2" socket pid rc=0
	socket=$(stack_socket "$state")
	pid=$(intukad_pid "$state")
	if [[ -n "$pid" ]] && proc_matches "$pid" intukad; then
		die "intukad already running (pid $pid) for $state"
	fi
	# A socket left by a crashed master would make the readiness check lie.
	rm -f "$socket"
	log "starting intukad (log: $state/intukad.log)"
	# setsid: own session, so Ctrl-C in a terminal reaches only our trap, which
	# shuts the stack down in order. </dev/null: fd 0 must not look like a
	# listening socket (that is how lighttpd bin-path hands one over).
	intuka_env_prepare
	setsid env "${INTUKA_ENV_UNSET[@]}" "$INTUKAD_BIN" -c "$conf" </dev/null >>"$state/intukad.log" 2>&1 &
	pid=$!
	printf '%s\n' "$pid" >"$state/pids/intukad.pid"
	wait_until "$INTUKA_STACK_START_TIMEOUT_S" intukad_ready "$pid" "$socket" || rc=$?
	if ((rc != 0)); then
		log "intukad did not create $socket within ${INTUKA_STACK_START_TIMEOUT_S}s"
		show_log_tails "$state/intukad.log"
		proc_stop intukad "$pid" 5 || true
		return 1
	fi
	log "intukad up: master pid $pid, socket $socket"
}

# Stops the master (SIGTERM: drain, then it kills stragglers itself after
# shutdown_timeout_s; we only SIGKILL if it overstays that by 5 s).
intukad_stop() {
	local state="$1" pid
	pid=$(intukad_pid "$state")
	[[ -n "$pid" ]] || return 0
	proc_stop intukad "$pid" $((INTUKA_STACK_SHUTDOWN_TIMEOUT_S + 5)) TERM || true
	rm -f "$state/pids/intukad.pid"
}

# ---------------------------------------------------------------- deliverer

deliverer_pidfile() { printf '%s/pids/deliverer.pid\n' "$1"; }
deliverer_pid() { pidfile_read "$(deliverer_pidfile "$1")"; }

# Poll step while starting: 0 = running and its pid file written, 2 = died.
deliverer_ready() {
	local pid="$1" pidfile="$2"
	proc_alive "$pid" || return 2
	[[ "$(pidfile_read "$pidfile")" == "$pid" ]]
}

# Starts the webhook delivery process of STATE with the stack's config
# (STATE/config). It writes its own pid file and removes it on a clean exit.
deliverer_start() {
	local state="$1" conf pid pidfile rc=0
	conf=$(cat "$state/config") || return 1
	pidfile=$(deliverer_pidfile "$state")
	pid=$(deliverer_pid "$state")
	if [[ -n "$pid" ]] && proc_matches "$pid" deliver-webhooks; then
		die "webhook deliverer already running (pid $pid) for $state"
	fi
	rm -f "$pidfile"
	intuka_env_prepare
	setsid env "${INTUKA_ENV_UNSET[@]}" "$INTUKAD_BIN" -c "$conf" --deliver-webhooks --pid-file "$pidfile" \
		</dev/null >>"$state/deliverer.log" 2>&1 &
	pid=$!
	wait_until "$INTUKA_STACK_START_TIMEOUT_S" deliverer_ready "$pid" "$pidfile" || rc=$?
	if ((rc != 0)); then
		log "webhook deliverer did not start"
		show_log_tails "$state/deliverer.log"
		proc_stop deliver-webhooks "$pid" 5 || true
		return 1
	fi
	log "webhook deliverer up: pid $pid (log: $state/deliverer.log)"
}

# SIGTERM: it finishes the delivery in flight (at most its 30 s timeout) and
# gives the rest of its batch back.
deliverer_stop() {
	local state="$1" pid
	pid=$(deliverer_pid "$state")
	[[ -n "$pid" ]] || return 0
	proc_stop deliver-webhooks "$pid" 40 TERM || true
	rm -f "$(deliverer_pidfile "$state")"
}

# ---------------------------------------------------------------- embedder

embedder_pidfile() { printf '%s/pids/embedder.pid\n' "$1"; }
embedder_pid() { pidfile_read "$(embedder_pidfile "$1")"; }

# Starts the embedding process of STATE with the stack's config, as the
# deliverer is started (its own pid file, removed on a clean exit).
embedder_start() {
	local state="$1" conf pid pidfile rc=0
	conf=$(cat "$state/config") || return 1
	pidfile=$(embedder_pidfile "$state")
	pid=$(embedder_pid "$state")
	if [[ -n "$pid" ]] && proc_matches "$pid" --embed; then
		die "embedder already running (pid $pid) for $state"
	fi
	rm -f "$pidfile"
	intuka_env_prepare
	setsid env "${INTUKA_ENV_UNSET[@]}" "$INTUKAD_BIN" -c "$conf" --embed --pid-file "$pidfile" \
		</dev/null >>"$state/embedder.log" 2>&1 &
	pid=$!
	wait_until "$INTUKA_STACK_START_TIMEOUT_S" deliverer_ready "$pid" "$pidfile" || rc=$?
	if ((rc != 0)); then
		log "embedder did not start"
		show_log_tails "$state/embedder.log"
		proc_stop --embed "$pid" 5 || true
		return 1
	fi
	log "embedder up: pid $pid (log: $state/embedder.log)"
}

# SIGTERM: it finishes the call in flight (bounded by chat_llm_timeout_ms).
embedder_stop() {
	local state="$1" pid
	pid=$(embedder_pid "$state")
	[[ -n "$pid" ]] || return 0
	proc_stop --embed "$pid" 40 TERM || true
	rm -f "$(embedder_pidfile "$state")"
}

# ---------------------------------------------------------------- web servers

web_pid() { pidfile_read "$1/pids/web.pid"; }

# Poll step: 0 = the port answers HTTP, 2 = the server died.
web_ready() {
	local pid="$1" port="$2"
	proc_alive "$pid" || return 2
	curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/static.txt"
}

# Starts a web server process in its own session and waits for its port.
#   STATE PORT NAME(for proc_matches) LOG -- COMMAND...
web_launch() {
	local state="$1" port="$2" name="$3" logfile="$4" pid rc=0
	shift 5
	setsid "$@" </dev/null >>"$logfile" 2>&1 &
	pid=$!
	printf '%s\n' "$pid" >"$state/pids/web.pid"
	wait_until "$INTUKA_STACK_START_TIMEOUT_S" web_ready "$pid" "$port" || rc=$?
	if ((rc != 0)); then
		log "$name did not answer on 127.0.0.1:$port"
		return 1
	fi
	log "$name up: pid $pid, http://127.0.0.1:$port/"
}

lighttpd_start() {
	local state="$1" port="$2" dir="$1/lighttpd"
	mkdir -p "$dir/errors" || return 1
	# lighttpd opens its logs after dropping privileges.
	((EUID != 0)) || chown "$INTUKA_WEB_USER:$INTUKA_WEB_GROUP" "$dir" || return 1
	# Its own error answers in the API's JSON envelope (server.errorfile-prefix).
	install -m 0644 "$INTUKA_REPO"/deploy/lighttpd/errors/intuka-*.html "$dir/errors/" || return 1
	render_template "$INTUKA_REPO/deploy/lighttpd/intuka.conf" "$dir/lighttpd.conf" \
		PORT="$port" SOCKET="$(stack_socket "$state")" STATE_DIR="$state" \
		USER="$INTUKA_WEB_USER" GROUP="$INTUKA_WEB_GROUP" || return 1
	lighttpd -tt -f "$dir/lighttpd.conf" >"$dir/configtest.log" 2>&1 || {
		show_log_tails "$dir/configtest.log"
		return 1
	}
	web_launch "$state" "$port" lighttpd "$dir/stdout.log" -- lighttpd -D -f "$dir/lighttpd.conf"
}

apache_start() {
	local state="$1" port="$2" dir="$1/apache"
	mkdir -p "$dir/run" || return 1
	render_template "$INTUKA_REPO/deploy/apache/intuka-vhost.conf" "$dir/httpd.conf" \
		PORT="$port" SOCKET="$(stack_socket "$state")" STATE_DIR="$state" \
		USER="$INTUKA_WEB_USER" GROUP="$INTUKA_WEB_GROUP" || return 1
	apache2 -t -f "$dir/httpd.conf" >"$dir/configtest.log" 2>&1 || {
		show_log_tails "$dir/configtest.log"
		return 1
	}
	# -DFOREGROUND: no daemonizing, so the pid we record is the parent's.
	web_launch "$state" "$port" apache2 "$dir/stdout.log" -- apache2 -f "$dir/httpd.conf" -DFOREGROUND
}

# Lays out STATE/fcgid the way deploy/apache/shared-hosting/intuka.fcgi
# expects it and writes its intukad configuration. Prints the config path.
#   STATE SECRETS DB_PORT
fcgid_prepare() {
	local state="$1" secrets="$2" db_port="$3" dir="$1/fcgid" conf
	conf="$dir/intuka/etc/intuka/intuka.conf"
	mkdir -p "$dir/public_html" "$dir/intuka/sbin" "$dir/intuka/etc/intuka" "$dir/run" "$dir/fcgid-ipc" || return 1
	chmod 0711 "$dir" "$dir/intuka" "$dir/intuka/sbin" "$dir/intuka/etc" "$dir/intuka/etc/intuka"
	chmod 0755 "$dir/public_html"
	cp "$INTUKA_REPO/deploy/apache/shared-hosting/.htaccess" \
		"$INTUKA_REPO/deploy/apache/shared-hosting/intuka.fcgi" "$dir/public_html/"
	chmod 0644 "$dir/public_html/.htaccess"
	chmod 0755 "$dir/public_html/intuka.fcgi"
	cp "$state/www/static.txt" "$dir/public_html/static.txt"
	# A copy of the binary: Apache's user must be able to execute it, and the
	# repository may sit below a directory it cannot enter.
	install -m 0755 "$INTUKAD_BIN" "$dir/intuka/sbin/intukad" || return 1
	# The processes run as the web server user, who must read the secrets:
	# 0640 with its group instead of 0600.
	install -m 0640 "$secrets" "$dir/intuka/etc/intuka/secrets.conf" || return 1
	if ((EUID == 0)); then
		chgrp "$INTUKA_WEB_GROUP" "$dir/intuka/etc/intuka/secrets.conf"
		chown "$INTUKA_WEB_USER:$INTUKA_WEB_GROUP" "$dir/fcgid-ipc"
	fi
	# No pid_file: there is no master, mod_fcgid owns the processes.
	stack_write_config "$conf" "$(stack_socket "$state")" "" "$dir/intuka/etc/intuka/secrets.conf" "$db_port" || return 1
	printf '%s\n' "$conf"
}

fcgid_start() {
	local state="$1" port="$2" dir="$1/fcgid"
	local -a defines=()
	render_template "$INTUKA_REPO/deploy/apache/intuka-fcgid.conf" "$dir/httpd.conf" \
		PORT="$port" STATE_DIR="$dir" DOCROOT="$dir/public_html" \
		USER="$INTUKA_WEB_USER" GROUP="$INTUKA_WEB_GROUP" MAX_PROCESSES="$INTUKA_STACK_WORKERS" \
		CLIENT_TIMEOUT_S="$INTUKA_STACK_CLIENT_TIMEOUT_S" || return 1
	# Sanitizer options must reach the processes mod_fcgid starts (see the
	# IfDefine in the template).
	[[ -z "${ASAN_OPTIONS:-}${UBSAN_OPTIONS:-}" ]] || defines=(-DINTUKA_SANITIZE)
	apache2 -t -f "$dir/httpd.conf" "${defines[@]}" >"$dir/configtest.log" 2>&1 || {
		show_log_tails "$dir/configtest.log"
		return 1
	}
	web_launch "$state" "$port" apache2 "$dir/stdout.log" -- \
		apache2 -f "$dir/httpd.conf" -DFOREGROUND "${defines[@]}"
}

# Stops the web server of STATE. Apache's SIGTERM also makes mod_fcgid stop
# the intukad processes it started.
web_stop() {
	local state="$1" pid name=lighttpd
	pid=$(web_pid "$state")
	[[ -n "$pid" ]] || return 0
	case "$(cat "$state/flavour" 2>/dev/null || true)" in
	lighttpd | package) ;;
	*) name=apache2 ;;
	esac
	proc_stop "$name" "$pid" 15 TERM || true
	rm -f "$state/pids/web.pid"
}

# Error log of the web server of STATE (for post-mortems and sanitizer scans).
web_error_log() {
	local state="$1"
	case "$(cat "$state/flavour" 2>/dev/null || true)" in
	lighttpd) printf '%s\n' "$state/lighttpd/error.log" ;;
	apache) printf '%s\n' "$state/apache/error.log" ;;
	fcgid) printf '%s\n' "$state/fcgid/error.log" ;;
	esac
}

# ---------------------------------------------------------------- whole stack

# Brings up FLAVOUR (lighttpd | apache | fcgid) in STATE on PORT against the
# private MariaDB listening on DB_PORT, with SECRETS holding db_password.
# Migrates the schema first. Leaves the config path in STATE/config.
stack_up() {
	local flavour="$1" state="$2" port="$3" secrets="$4" db_port="$5" conf
	[[ -x "$INTUKAD_BIN" && -x "$INTUKA_ADMIN_BIN" ]] || die "build first: $INTUKAD_BIN or $INTUKA_ADMIN_BIN missing"
	port_is_free "$port" || die "port $port is already in use on this machine (pick another one)"
	stack_prepare_dirs "$state" || return 1
	stack_check_reachable "$state/www/static.txt"
	printf '%s\n' "$flavour" >"$state/flavour"
	printf '%s\n' "$port" >"$state/port"
	secrets_ensure_jwt_key "$secrets" || return 1
	secrets_ensure_operator_key "$secrets" || return 1
	# Where the operator API's deletions write their exports; the workers
	# run as the web server user under fcgid.
	INTUKA_STACK_EXPORT_DIR="$state/exports"
	mkdir -p "$INTUKA_STACK_EXPORT_DIR"
	if ((EUID == 0)); then
		chown "$INTUKA_WEB_USER:$INTUKA_WEB_GROUP" "$INTUKA_STACK_EXPORT_DIR"
	fi
	chmod 0700 "$INTUKA_STACK_EXPORT_DIR"
	# The mail file is written by the workers, which run as the web server
	# user under fcgid.
	INTUKA_STACK_MAIL_DIR="$state/mail"
	mkdir -p "$INTUKA_STACK_MAIL_DIR"
	: >"$INTUKA_STACK_MAIL_DIR/mail.log"
	if ((EUID == 0)); then
		chown "$INTUKA_WEB_USER:$INTUKA_WEB_GROUP" "$INTUKA_STACK_MAIL_DIR" "$INTUKA_STACK_MAIL_DIR/mail.log"
	fi
	chmod 0755 "$INTUKA_STACK_MAIL_DIR"
	case "$flavour" in
	lighttpd | apache)
		conf="$state/intuka.conf"
		stack_write_config "$conf" "$(stack_socket "$state")" "$(stack_master_pidfile "$state")" \
			"$secrets" "$db_port" || return 1
		;;
	fcgid)
		conf=$(fcgid_prepare "$state" "$secrets" "$db_port") || return 1
		;;
	*) die "unknown web server flavour: $flavour (lighttpd, apache or fcgid)" ;;
	esac
	printf '%s\n' "$conf" >"$state/config"
	stack_migrate "$conf" || return 1
	case "$flavour" in
	lighttpd) intukad_start "$state" "$conf" && lighttpd_start "$state" "$port" ;;
	apache) intukad_start "$state" "$conf" && apache_start "$state" "$port" ;;
	fcgid) fcgid_start "$state" "$port" ;;
	esac || return 1
	deliverer_start "$state" && embedder_start "$state"
}

# Stops the web server first (no new requests), then intukad. Idempotent.
stack_down() {
	local state="$1"
	[[ -d "$state" ]] || return 0
	web_stop "$state"
	deliverer_stop "$state"
	embedder_stop "$state"
	intukad_stop "$state"
}

# One line per component; returns non-zero when something is not healthy.
stack_status() {
	local state="$1" pid port flavour rc=0 body
	flavour=$(cat "$state/flavour" 2>/dev/null || true)
	port=$(cat "$state/port" 2>/dev/null || true)
	if [[ "$flavour" != fcgid ]]; then
		pid=$(intukad_pid "$state")
		if [[ -n "$pid" ]] && proc_matches "$pid" intukad; then
			printf 'intukad   pid %-8s socket %s\n' "$pid" "$(stack_socket "$state")"
		else
			printf 'intukad   not running\n'
			rc=1
		fi
	fi
	pid=$(deliverer_pid "$state")
	if [[ -n "$pid" ]] && proc_matches "$pid" deliver-webhooks; then
		printf 'webhooks  pid %-8s log %s\n' "$pid" "$state/deliverer.log"
	else
		printf 'webhooks  not running\n'
		rc=1
	fi
	pid=$(embedder_pid "$state")
	if [[ -n "$pid" ]] && proc_matches "$pid" --embed; then
		printf 'embedder  pid %-8s log %s\n' "$pid" "$state/embedder.log"
	else
		printf 'embedder  not running\n'
		rc=1
	fi
	pid=$(web_pid "$state")
	if [[ -n "$pid" ]] && proc_alive "$pid"; then
		printf '%-9s pid %-8s http://127.0.0.1:%s/\n' "${flavour:-web}" "$pid" "$port"
		if body=$(curl -sS --max-time 5 -w ' (HTTP %{http_code})' "http://127.0.0.1:$port/api/v1/health" 2>&1); then
			printf 'health    %s\n' "$body"
			[[ "$body" == *"(HTTP 200)" ]] || rc=1
		else
			printf 'health    request failed: %s\n' "$body"
			rc=1
		fi
	else
		printf 'web       not running\n'
		rc=1
	fi
	return "$rc"
}

# As a command: restart or stop the delivery process of a running stack, or
# start its intukad master again (lighttpd and apache flavours), or its
# lighttpd (after a test killed it).
stack_main() {
	local command="${1:-}" state="${2:-}"
	[[ -n "$command" && -d "$state" ]] || {
		printf 'usage: %s deliverer-start|deliverer-stop|embedder-start|embedder-stop|intukad-start|web-start STATE\n' "$0" >&2
		exit 64
	}
	case "$command" in
	deliverer-start) deliverer_start "$state" ;;
	deliverer-stop) deliverer_stop "$state" ;;
	embedder-start) embedder_start "$state" ;;
	embedder-stop) embedder_stop "$state" ;;
	intukad-start) intukad_start "$state" "$(cat "$state/config")" ;;
	web-start) lighttpd_start "$state" "$(cat "$state/port")" ;;
	*)
		printf 'unknown command: %s\n' "$command" >&2
		exit 64
		;;
	esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	stack_main "$@"
fi
