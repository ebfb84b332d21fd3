#!/usr/bin/env bash
# Runs Intuka on this machine: installs missing Debian packages, builds, starts
# a private MariaDB, migrates, seeds a demo tenant and user, and serves the API
# through lighttpd on http://127.0.0.1:${INTUKA_PORT:-8080}.
#
#   deploy/run.sh          foreground; Ctrl-C or SIGTERM stops everything
#   deploy/run.sh start    same, in the background, and return
#   deploy/run.sh stop     stop what "start" (or a foreground run) started
#   deploy/run.sh status   each component's pid and a health check
#
# Environment: INTUKA_STATE_DIR (default: REPO/.run) holds the database, the
# configuration, the secrets and all logs; INTUKA_PORT (default 8080);
# INTUKA_DEMO_PASSWORD for admin@demo.test (default: generated, printed once);
# INTUKA_INSTALL_TEST_PACKAGES=1 also installs what deploy/test.sh needs
# (chromium), for a machine that will run the tests too.
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
# shellcheck source=deploy/lib/stack.sh
source "$DEPLOY_DIR/lib/stack.sh"

PORT="${INTUKA_PORT:-8080}"
DEMO_TENANT=demo
DEMO_TENANT_NAME="Demo Company"
DEMO_EMAIL=admin@demo.test

# The state directory: INTUKA_STATE_DIR, else REPO/.run. The web server's
# user (www-data) must be able to pass through it to the socket, the document
# root and lighttpd's logs. When the repository sits below a directory it
# cannot enter (a clone in /root, mode 0700), the default state moves to
# /var/tmp and REPO/.run becomes a symlink to it, so the paths printed and
# documented (.run/intuka.conf, .run/intukad.log) still work.
run_state_dir() {
	local default="$INTUKA_REPO/.run" target
	if [[ -n "${INTUKA_STATE_DIR:-}" ]]; then
		printf '%s\n' "$INTUKA_STATE_DIR"
	elif [[ -L "$default" ]]; then
		readlink -f "$default"
	elif [[ -d "$default" ]] || ((EUID != 0)) || runuser -u "$INTUKA_WEB_USER" -- test -x "$INTUKA_REPO"; then
		printf '%s\n' "$default"
	else
		target="/var/tmp/intuka-state-$(printf '%s' "$INTUKA_REPO" | md5sum | cut -c1-12)"
		log "$INTUKA_WEB_USER cannot enter $INTUKA_REPO: state goes to $target (linked as .run)"
		mkdir -p "$target"
		chmod 0711 "$target"
		ln -s "$target" "$default"
		printf '%s\n' "$target"
	fi
}

STATE_DIR=$(run_state_dir)
DB_DIR="$STATE_DIR/mariadb"
SECRETS="$STATE_DIR/secrets.conf"

usage() {
	sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# True when a stack of this state directory is (at least partly) running.
run_is_running() {
	local pid
	pid=$(intukad_pid "$STATE_DIR")
	[[ -n "$pid" ]] && proc_matches "$pid" intukad && return 0
	pid=$(web_pid "$STATE_DIR")
	[[ -n "$pid" ]] && proc_alive "$pid" && return 0
	pid=$(deliverer_pid "$STATE_DIR")
	[[ -n "$pid" ]] && proc_matches "$pid" deliver-webhooks && return 0
	pid=$(embedder_pid "$STATE_DIR")
	[[ -n "$pid" ]] && proc_matches "$pid" --embed && return 0
	mariadb_running "$DB_DIR"
}

# The find API's demo: a dozen products in workspace "demo-shop" and a
# secret key, made through the API itself with the demo admin's login.
run_seed_find_demo() {
	local password="$1" base="http://127.0.0.1:$PORT/api/v1" body token key
	body=$(jq -n --arg email "$DEMO_EMAIL" --arg password "$password" --arg tenant "$DEMO_TENANT" \
		'{email: $email, password: $password, tenantSlug: $tenant}' |
		curl -sS --max-time 30 -H 'Content-Type: application/json' --data-binary @- "$base/auth/login") ||
		die "demo login for the find API failed"
	token=$(printf '%s' "$body" | jq -r '.data.accessToken // empty')
	[[ -n "$token" ]] || die "demo login for the find API failed: $body"
	log "loading demo products into the find API (deploy/demo-find-products.json, workspace demo-shop)"
	body=$(curl -sS --max-time 60 -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		-H 'X-Workspace-ID: demo-shop' --data-binary @"$DEPLOY_DIR/demo-find-products.json" \
		"$base/find/products/bulk") || die "loading the demo products failed"
	[[ "$(printf '%s' "$body" | jq -r '.data.failedItems | length')" == 0 ]] ||
		die "loading the demo products failed: $body"
	body=$(curl -sS --max-time 30 -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		-d '{"label":"demo server key","keyType":"secret"}' "$base/find/provision/keys") ||
		die "creating the demo find key failed"
	key=$(printf '%s' "$body" | jq -r '.data.key // empty')
	[[ -n "$key" ]] || die "creating the demo find key failed: $body"
	DEMO_FIND_KEY="$key"
}

# Seeds tenant "demo" and its admin user, once: when the tenant already
# exists (an earlier run), nothing is touched and no password is printed.
run_seed_demo() {
	local conf="$1" password generated=0
	# Any whitespace-separated field equal to the slug ("demo-2" must not count).
	if intuka_admin -c "$conf" tenant list | awk -v slug="$DEMO_TENANT" '
		{ for (i = 1; i <= NF; i++) if ($i == slug) found = 1 }
		END { exit !found }'; then
		log "tenant '$DEMO_TENANT' already exists: seeding skipped"
		return 0
	fi
	password="${INTUKA_DEMO_PASSWORD:-}"
	if [[ -z "$password" ]]; then
		password=$(openssl rand -base64 18)
		generated=1
	fi
	intuka_admin -c "$conf" tenant create "$DEMO_TENANT" "$DEMO_TENANT_NAME"
	# The password travels in the environment, not on the command line (ps).
	intuka_run env INTUKA_USER_PASSWORD="$password" \
		"$INTUKA_ADMIN_BIN" -c "$conf" user create "$DEMO_TENANT" "$DEMO_EMAIL" --name "Demo Admin" </dev/null
	# A realistic sample to explore: hundreds of leads, accounts, contacts,
	# opportunities (deploy/demo-data.sql), for the demo tenant only.
	log "loading demo data (deploy/demo-data.sql)"
	mariadb_sql "$DB_DIR" "$INTUKA_DB_NAME" -e \
		"SET @tenant_id := (SELECT tenant_id FROM tenants WHERE slug = '$DEMO_TENANT'); SOURCE $DEPLOY_DIR/demo-data.sql;"
	run_seed_find_demo "$password"
	if ((generated)); then
		printf '\nDemo login (shown only this once): %s / %s (tenant %s)\n' "$DEMO_EMAIL" "$password" "$DEMO_TENANT"
	else
		printf '\nDemo login: %s with INTUKA_DEMO_PASSWORD (tenant %s)\n' "$DEMO_EMAIL" "$DEMO_TENANT"
	fi
	printf 'Demo find API secret key (shown only this once): %s\n' "$DEMO_FIND_KEY"
	printf '  curl -s http://127.0.0.1:%s/api/v1/find/products/search -H "Authorization: Bearer %s" \\\n' "$PORT" "$DEMO_FIND_KEY"
	printf '    -H "Content-Type: application/json" -d %s\n' "'{\"text\":\"running shoes\"}'"
}

# Stops everything of STATE_DIR in order: web server, intukad, MariaDB.
run_stop_all() {
	stack_down "$STATE_DIR"
	mariadb_stop "$DB_DIR" || true
}

# Refuses to start over a running stack or on a busy port. Runs before the
# cleanup trap is set, so a refusal leaves the running stack alone.
run_preflight() {
	if run_is_running; then
		log "already running in $STATE_DIR:"
		stack_status "$STATE_DIR" || true
		die "stop it first: deploy/run.sh stop"
	fi
	port_is_free "$PORT" || die "port $PORT is already in use; choose another one: INTUKA_PORT=8081 deploy/run.sh"
}

run_up() {
	local conf
	# The test packages (a headless browser) only when asked: a server needs none.
	if [[ "${INTUKA_INSTALL_TEST_PACKAGES:-0}" == 1 ]]; then
		deps_ensure test
	else
		deps_ensure
	fi
	# A plain ./configure: release flags, no debug or sanitizers.
	# shellcheck disable=SC2119
	build_all
	mkdir -p "$STATE_DIR"
	chmod 0711 "$STATE_DIR"
	mariadb_start "$DB_DIR"
	mariadb_setup_app "$DB_DIR" "$SECRETS"
	secrets_ensure_jwt_key "$SECRETS"
	stack_up lighttpd "$STATE_DIR" "$PORT" "$SECRETS" "$(cat "$DB_DIR/port")"
	conf=$(cat "$STATE_DIR/config")
	run_seed_demo "$conf"

	cat <<-EOF

		Intuka is running: http://127.0.0.1:$PORT/api/v1/
		  curl -i http://127.0.0.1:$PORT/api/v1/health
		  admin tool: src/intuka-admin -c $conf tenant list
		  logs:       $STATE_DIR/intukad.log, $STATE_DIR/deliverer.log (webhooks),
		              $STATE_DIR/embedder.log (embeddings),
		              $STATE_DIR/lighttpd/error.log, $DB_DIR/error.log
	EOF
}

run_foreground() {
	run_preflight
	# From here on, any way out (Ctrl-C, SIGTERM, an error) stops the stack.
	trap 'run_stop_all' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	run_up
	printf '  Ctrl-C stops everything.\n\n'
	# Returns when any component exits on its own (or via "deploy/run.sh stop").
	wait -n || true
	log "a component exited; stopping the rest"
	exit 1
}

run_background() {
	run_preflight
	# On failure, clean up what was started; on success, leave it running.
	trap 'run_stop_all' EXIT
	run_up
	trap - EXIT
	printf '  Stop with: deploy/run.sh stop\n'
}

main() {
	case "${1:-}" in
	"") run_foreground ;;
	start) run_background ;;
	stop)
		run_stop_all
		log "stopped"
		;;
	status)
		local rc=0
		stack_status "$STATE_DIR" || rc=1
		mariadb_status "$DB_DIR" || rc=1
		return "$rc"
		;;
	-h | --help | help) usage ;;
	*)
		usage >&2
		exit 64
		;;
	esac
}

main "$@"
