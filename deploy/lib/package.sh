# shellcheck shell=bash
# deploy/test.sh's "package" flavour: builds the Debian package from the
# release tarball, installs it on this machine, checks what the installation
# made, configures it the way README.Debian tells a sysadmin to, starts it
# (with systemd where systemd is PID 1, else with the units' own command
# lines as user intuka), runs the smoke suite through lighttpd, rotates the
# logs with the installed logrotate configuration, stops and purges it.
# Sourced by deploy/test.sh after common.sh, mariadb.sh and stack.sh; uses
# its check/pass/fail bookkeeping.

# One package installation at a time on a machine (dpkg's lock would fail a
# second run half-way; this one waits).
PACKAGE_LOCK_FILE=/run/lock/intuka-package-test.lock
PACKAGE_CONF=/etc/intuka/intuka.conf
PACKAGE_SECRETS=/etc/intuka/secrets.conf
PACKAGE_UNIT_DIR=/lib/systemd/system
# The private MariaDB already has an "intuka" user for the other flavours:
# the package gets a database and user of its own, with its own password.
PACKAGE_DB_NAME=intuka_pkg
PACKAGE_DB_USER=intuka_pkg
PACKAGE_LOG_DIR=/var/log/intuka
PACKAGE_RUN_DIR=/run/intuka

# True when systemd is PID 1 (a booted machine, not a container or sandbox).
package_systemd_is_init() {
	[[ "$(cat /proc/1/comm 2>/dev/null)" == systemd ]]
}

# The value of KEY= in the [Service] section of UNIT (the last one wins).
package_unit_value() {
	local unit="$1" key="$2"
	sed -n "s/^${key}=//p" "$PACKAGE_UNIT_DIR/$unit" | tail -n 1
}

# Builds the release tarball and the package from it. Prints the .deb path.
package_build() {
	local state="$1" version tarball source_dir deb
	version=$(sed -n 's/^PACKAGE_VERSION = //p' "$INTUKA_REPO/Makefile")
	[[ -n "$version" ]] || { log "no PACKAGE_VERSION in $INTUKA_REPO/Makefile"; return 1; }
	log "make dist (intuka-$version.tar.gz) and dpkg-buildpackage -us -uc -b (log: $state/build.log)"
	(cd "$INTUKA_REPO" && make -s dist) >"$state/build.log" 2>&1 || { show_log_tails "$state/build.log"; return 1; }
	tarball="$INTUKA_REPO/intuka-$version.tar.gz"
	mkdir -p "$state/build"
	tar -xzf "$tarball" -C "$state/build" || return 1
	source_dir="$state/build/intuka-$version"
	if ! (cd "$source_dir" && dpkg-buildpackage -us -uc -b) >>"$state/build.log" 2>&1; then
		show_log_tails "$state/build.log"
		return 1
	fi
	deb="$state/build/intuka_${version}_$(dpkg --print-architecture).deb"
	[[ -f "$deb" ]] || { log "dpkg-buildpackage made no $deb"; return 1; }
	printf '%s\n' "$deb"
}

# lintian on the build's .changes: no error tag. Warnings are shown.
package_lintian_clean() {
	local state="$1" changes
	changes=$(find "$state/build" -maxdepth 1 -name 'intuka_*.changes' | head -n 1)
	[[ -n "$changes" ]] || return 1
	lintian --tag-display-limit 0 "$changes" >"$state/lintian.log" 2>&1 || true
	grep -v 'running with root privileges' "$state/lintian.log" >&2 || true
	! grep -q '^E: ' "$state/lintian.log"
}

# No intukad runs with the package's configuration, and under systemd the
# units are neither active nor enabled.
package_nothing_started() {
	local proc cmdline
	for proc in /proc/[0-9]*; do
		cmdline=$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null) || continue
		if [[ "$cmdline" == *intukad*"$PACKAGE_CONF"* ]]; then
			log "running after installation: pid ${proc#/proc/}: $cmdline"
			return 1
		fi
	done
	if package_systemd_is_init; then
		! systemctl is-active --quiet intukad.service intuka-webhooks.service || return 1
		! systemctl is-enabled --quiet intukad.service || return 1
	fi
	return 0
}

package_user_exists() {
	getent passwd intuka >/dev/null
}

package_secrets_mode_is_0640_root_intuka() {
	local mode
	mode=$(stat -c '%a %U:%G' "$PACKAGE_SECRETS" 2>/dev/null) || return 1
	[[ "$mode" == "640 root:intuka" ]] || { log "$PACKAGE_SECRETS is $mode"; return 1; }
	grep -q '^db_password = [0-9a-f]\{48\}$' "$PACKAGE_SECRETS" && grep -q '^jwt_key\.k1 = ' "$PACKAGE_SECRETS"
}

package_man_pages_lint_clean() {
	local page
	for page in /usr/share/man/man8/intukad.8.gz /usr/share/man/man8/intuka-admin.8.gz \
		/usr/share/man/man5/intuka.conf.5.gz; do
		[[ -f "$page" ]] || { log "missing $page"; return 1; }
		mandoc -T lint -W warning "$page" || return 1
	done
}

# systemd-analyze security on the installed units (offline: no systemd as
# PID 1 needed): each overall exposure at most PACKAGE_EXPOSURE_MAX, the
# value the units reach today (3.2 before their sandbox), so a setting lost
# fails here. Prints the ratings.
PACKAGE_EXPOSURE_MAX=1.2
package_units_exposure_low() {
	local unit exposure rc=0
	for unit in intukad.service intuka-webhooks.service; do
		exposure=$(systemd-analyze security --offline=true --no-pager "$PACKAGE_UNIT_DIR/$unit" 2>/dev/null |
			sed -n 's/^.*Overall exposure level for [^:]*: \([0-9.]*\).*$/\1/p')
		log "systemd-analyze security --offline=true $unit: exposure ${exposure:-(none)}"
		[[ -n "$exposure" ]] && awk -v e="$exposure" -v m="$PACKAGE_EXPOSURE_MAX" 'BEGIN { exit !(e <= m) }' || rc=1
	done
	return "$rc"
}

package_examples_installed() {
	local file
	for file in lighttpd/intuka.conf apache/intuka-vhost.conf apache/intuka-fcgid.conf \
		apache/shared-hosting/.htaccess apache/shared-hosting/intuka.fcgi intuka.conf.example; do
		[[ -f "/usr/share/doc/intuka/examples/$file" ]] || { log "missing examples/$file"; return 1; }
	done
}

# What a sysadmin edits in /etc/intuka/intuka.conf for this machine's
# database: here the private MariaDB on a loopback TCP port.
package_configure() {
	local db_port="$1"
	sed -i -e 's|^db_socket = .*|db_socket =|' -e 's|^db_host = .*|db_host = 127.0.0.1|' \
		-e "s|^db_port = .*|db_port = $db_port|" -e "s|^db_name = .*|db_name = $PACKAGE_DB_NAME|" \
		-e "s|^db_user = .*|db_user = $PACKAGE_DB_USER|" "$PACKAGE_CONF"
}

# README.Debian's step 1, with the password the package generated.
package_create_database() {
	local password quoted
	password=$(secrets_db_password "$PACKAGE_SECRETS")
	[[ -n "$password" ]] || return 1
	quoted=$(sql_quote "$password")
	mariadb_sql "$DB_DIR" -e "DROP DATABASE IF EXISTS \`$PACKAGE_DB_NAME\`;
		CREATE DATABASE \`$PACKAGE_DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER IF NOT EXISTS '$PACKAGE_DB_USER'@'127.0.0.1' IDENTIFIED BY $quoted;
		ALTER USER '$PACKAGE_DB_USER'@'127.0.0.1' IDENTIFIED BY $quoted;
		GRANT ALL PRIVILEGES ON \`$PACKAGE_DB_NAME\`.* TO '$PACKAGE_DB_USER'@'127.0.0.1';"
}

# Runs a unit's command line the way systemd would for it: as its User and
# Group with their groups, its UMask, its Environment= lines, in a session of
# its own, output appended to LOG. In the background (the pid in
# PACKAGE_PID), or in the foreground with --wait (its exit status).
#   [--wait] UNIT LOG NOTIFY_SOCKET(or "") COMMAND...
PACKAGE_PID=""
package_run_as_unit() {
	local foreground=0 unit logfile notify user group umask line
	local -a environment=(PATH=/usr/sbin:/usr/bin:/sbin:/bin)
	if [[ "$1" == --wait ]]; then
		foreground=1
		shift
	fi
	unit="$1" logfile="$2" notify="$3"
	shift 3
	user=$(package_unit_value "$unit" User)
	group=$(package_unit_value "$unit" Group)
	umask=$(package_unit_value "$unit" UMask)
	while IFS= read -r line; do
		environment+=("$line")
	done < <(sed -n 's/^Environment=//p' "$PACKAGE_UNIT_DIR/$unit")
	[[ -z "$notify" ]] || environment+=("NOTIFY_SOCKET=$notify")
	# shellcheck disable=SC2016 # $1 and $@ belong to the inner shell
	local -a command=(setsid --wait env -i "${environment[@]}" setpriv --reuid="$user" --regid="$group" --init-groups --
		/bin/sh -c 'umask "$1"; shift; exec "$@"' sh "${umask:-0022}" "$@")
	if ((foreground)); then
		"${command[@]}" </dev/null >>"$logfile" 2>&1
		return
	fi
	"${command[@]}" </dev/null >>"$logfile" 2>&1 &
	PACKAGE_PID=$!
}

# The unit's Exec line as words (no quoting is used in our units).
package_unit_command() {
	local -a words
	read -r -a words <<<"$(package_unit_value "$1" "$2")"
	printf '%s\n' "${words[@]}"
}

# Receives sd_notify datagrams on SOCKET, appended to FILE one after the
# other. socat's pid goes to PIDFILE.
package_notify_listen() {
	local socket="$1" file="$2" pidfile="$3"
	rm -f "$socket"
	setsid socat -u "UNIX-RECV:$socket" "OPEN:$file,creat,append" </dev/null >>"$file.err" 2>&1 &
	printf '%s\n' "$!" >"$pidfile"
	wait_until 5 test -S "$socket" || return 1
	# intukad runs as intuka: it must be able to send there.
	chmod 0666 "$socket"
}

package_notified() { grep -q "$2" "$1" 2>/dev/null; }

# Without systemd as PID 1: what RuntimeDirectory=, LogsDirectory= and
# StateDirectory= would make, then ExecStartPre and ExecStart of intukad.service as user intuka,
# with a NOTIFY_SOCKET of ours to see readiness. The database user does not
# exist yet: intukad must not report ready before package_create_database.
package_start_without_systemd() {
	local state="$1" rc=0
	local -a pre start
	install -d -o intuka -g intuka -m "$(package_unit_value intukad.service RuntimeDirectoryMode)" "$PACKAGE_RUN_DIR"
	install -d -o intuka -g intuka -m 0755 "$PACKAGE_LOG_DIR"
	install -d -o intuka -g intuka -m "$(package_unit_value intukad.service StateDirectoryMode)" \
		"/var/lib/$(package_unit_value intukad.service StateDirectory)"
	mapfile -t pre < <(package_unit_command intukad.service ExecStartPre)
	mapfile -t start < <(package_unit_command intukad.service ExecStart)
	log "ExecStartPre as intuka: ${pre[*]}"
	package_run_as_unit --wait intukad.service "$state/intukad.out" "" "${pre[@]}" || rc=$?
	check "package: ExecStartPre (${pre[*]}) passes as user intuka (exit $rc)" test "$rc" -eq 0
	((rc == 0)) || { show_log_tails "$state/intukad.out"; return 1; }
	package_notify_listen "$state/notify.sock" "$state/notify.log" "$state/pids/notify.pid" || return 1
	log "ExecStart as intuka: ${start[*]} (NOTIFY_SOCKET=$state/notify.sock)"
	package_run_as_unit intukad.service "$state/intukad.out" "$state/notify.sock" "${start[@]}"
	printf '%s\n' "$PACKAGE_PID" >"$state/pids/intukad.pid"
	# The socket comes at once; readiness must wait for the database.
	wait_until 20 test -S "$PACKAGE_RUN_DIR/intuka.sock" || true
	check "package: intukad listens on $PACKAGE_RUN_DIR/intuka.sock" test -S "$PACKAGE_RUN_DIR/intuka.sock"
	sleep 3
	check "package: no READY=1 while the database refuses intukad, the status says why ($(package_notify_text "$state/notify.log"))" \
		package_not_ready_yet "$state/notify.log"
	return 0
}

# The end of what was received so far (datagrams follow each other without
# a separator), newlines shown as " | ".
package_notify_text() {
	tail -c 160 "$1" 2>/dev/null | tr '\n' '|' | sed 's/|/ | /g'
}

package_ready_and_serving() {
	grep -q 'READY=1' "$1" && grep -q 'STATUS=serving on /run/intuka/intuka.sock' "$1"
}

package_not_ready_yet() {
	! grep -q 'READY=1' "$1" && grep -q 'STATUS=waiting for the database' "$1"
}

package_start_deliverer_without_systemd() {
	local state="$1"
	local -a start
	mapfile -t start < <(package_unit_command intuka-webhooks.service ExecStart)
	log "intuka-webhooks.service ExecStart as intuka: ${start[*]}"
	package_run_as_unit intuka-webhooks.service "$state/deliverer.out" "" "${start[@]}"
	printf '%s\n' "$PACKAGE_PID" >"$state/pids/deliverer.pid"
	# As a container's init would keep it, for logrotate's postrotate.
	printf '%s\n' "$PACKAGE_PID" >"$PACKAGE_RUN_DIR/intuka-webhooks.pid"
	sleep 1
	proc_alive "$PACKAGE_PID"
}

# lighttpd (as www-data, in group intuka as README.Debian says) in front of
# /run/intuka/intuka.sock, from the installed example configuration.
package_start_lighttpd() {
	local state="$1" port="$2" dir="$1/lighttpd"
	mkdir -p "$dir/errors" "$state/www" || return 1
	chown "$INTUKA_WEB_USER:$INTUKA_WEB_GROUP" "$dir"
	printf 'Intuka static file\n' >"$state/www/static.txt"
	chmod 0755 "$state/www"
	install -m 0644 /usr/share/doc/intuka/examples/lighttpd/errors/intuka-*.html "$dir/errors/" || return 1
	render_template /usr/share/doc/intuka/examples/lighttpd/intuka.conf "$dir/lighttpd.conf" \
		PORT="$port" SOCKET="$PACKAGE_RUN_DIR/intuka.sock" STATE_DIR="$state" \
		USER="$INTUKA_WEB_USER" GROUP="$INTUKA_WEB_GROUP" || return 1
	lighttpd -tt -f "$dir/lighttpd.conf" >"$dir/configtest.log" 2>&1 || {
		show_log_tails "$dir/configtest.log"
		return 1
	}
	web_launch "$state" "$port" lighttpd "$dir/stdout.log" -- lighttpd -D -f "$dir/lighttpd.conf"
}

# Access lines ("type":"access") in FILE.
package_access_lines() {
	grep -c '"type":"access"' "$1" 2>/dev/null || true
}

# The installed logrotate configuration renames the logs and its postrotate
# sends SIGUSR1: afterwards requests are logged into the new intukad.log
# (whichever worker serves them) and the deliverer says it reopened.
package_check_rotation() {
	local state="$1" port="$2" before after i rc=0
	before=$(package_access_lines "$PACKAGE_LOG_DIR/intukad.log")
	check "package: the smoke run's requests are in $PACKAGE_LOG_DIR/intukad.log ($before access lines)" \
		test "$before" -gt 5
	logrotate -v -s "$state/logrotate.state" -f /etc/logrotate.d/intuka >"$state/logrotate.log" 2>&1 || rc=$?
	check "package: logrotate -f /etc/logrotate.d/intuka exits 0 (got $rc)" test "$rc" -eq 0
	((rc == 0)) || show_log_tails "$state/logrotate.log"
	check "package: intukad.log was renamed to intukad.log.1" test -s "$PACKAGE_LOG_DIR/intukad.log.1"
	# The master reopens at once; a worker between two requests.
	sleep 1
	for ((i = 0; i < 12; i++)); do
		curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$port/api/v1/health" || true
	done
	wait_until 5 package_access_count_at_least "$PACKAGE_LOG_DIR/intukad.log" 12 || true
	after=$(package_access_lines "$PACKAGE_LOG_DIR/intukad.log")
	check "package: after SIGUSR1 the 12 new requests are logged in the new intukad.log (found $after)" \
		test "$after" -eq 12
	check "package: the master logged its reopen into the new file" \
		grep -q '"msg":"master: log reopened"' "$PACKAGE_LOG_DIR/intukad.log"
	check "package: the old file got no line after the reopen ($(package_access_lines "$PACKAGE_LOG_DIR/intukad.log.1") access lines, $before before)" \
		test "$(package_access_lines "$PACKAGE_LOG_DIR/intukad.log.1")" -eq "$before"
	wait_until 10 grep -q 'webhook deliverer: log reopened' "$PACKAGE_LOG_DIR/intuka-webhooks.log" || true
	check "package: the webhook deliverer reopened intuka-webhooks.log" \
		grep -q 'webhook deliverer: log reopened' "$PACKAGE_LOG_DIR/intuka-webhooks.log"
}

package_access_count_at_least() {
	(($(package_access_lines "$1") >= $2))
}

# Runs the smoke suite against PORT. Counted like the other flavours.
package_smoke() {
	local state="$1" port="$2"
	itest_run_counted package "$state/itest.log" \
		INTUKA_TEST_BASE_URL="http://127.0.0.1:$port" INTUKA_TEST_FLAVOUR=package \
		INTUKA_TEST_CONFIG="$PACKAGE_CONF" INTUKA_TEST_ADMIN=/usr/bin/intuka-admin \
		-- "$ITEST_BIN" smoke
}

# SIGTERM (or systemctl stop): the master drains, removes socket and pid file.
package_stop_checked() {
	local state="$1" pid
	if package_systemd_is_init; then
		systemctl stop intukad.service intuka-webhooks.service
		! systemctl is-active --quiet intukad.service || return 1
	else
		pid=$(pidfile_read "$state/pids/intukad.pid")
		proc_stop intukad "$pid" 30 TERM || return 1
		rm -f "$state/pids/intukad.pid"
	fi
	[[ ! -e "$PACKAGE_RUN_DIR/intuka.sock" && ! -e "$PACKAGE_RUN_DIR/intukad.pid" ]] || {
		log "socket or pid file left in $PACKAGE_RUN_DIR"
		return 1
	}
}

# Whatever the package phase left: processes, the package, the web server's
# group membership. Idempotent; run from deploy/test.sh's teardown too.
package_remove() {
	local state="$1" pid
	[[ -f "$state/package-installed" ]] || return 0
	if package_systemd_is_init; then
		systemctl stop intukad.service intuka-webhooks.service >/dev/null 2>&1 || true
	fi
	pid=$(pidfile_read "$state/pids/notify.pid")
	[[ -z "$pid" ]] || proc_stop socat "$pid" 5 || true
	if [[ -f "$state/www-data-added" ]]; then
		gpasswd -d "$INTUKA_WEB_USER" intuka >/dev/null 2>&1 || true
		rm -f "$state/www-data-added"
	fi
	log "dpkg --purge intuka"
	dpkg --purge intuka >"$state/purge.log" 2>&1 || show_log_tails "$state/purge.log"
	rm -rf "$PACKAGE_RUN_DIR"
	# The package keeps tenant exports on purge; the test made none.
	rmdir /var/lib/intuka/exports /var/lib/intuka 2>/dev/null || true
	rm -f "$state/package-installed"
}

# The whole flavour. STATE is its directory; DB_DIR the private MariaDB.
phase_package() {
	local state="$1" deb port db_port rc=0 failed_before="$FAILED" lock_fd
	log "===== Debian package: build, install, start, smoke tests ====="
	mkdir -p "$state/pids"
	printf 'package\n' >"$state/flavour"
	exec {lock_fd}>"$PACKAGE_LOCK_FILE"
	if ! flock -w 900 "$lock_fd"; then
		fail 1 "package: another run held $PACKAGE_LOCK_FILE for 15 minutes"
		return 0
	fi
	if ! deb=$(package_build "$state"); then
		fail 1 "package: dpkg-buildpackage -us -uc -b failed (log: $state/build.log)"
		return 0
	fi
	pass 1
	log "ok: package: dpkg-buildpackage -us -uc -b built $(basename "$deb")"
	check "package: lintian reports no error" package_lintian_clean "$state"
	if dpkg-query -W -f='${Status}' intuka 2>/dev/null | grep -q 'install ok installed'; then
		log "an intuka package is installed already: it is replaced, and purged at the end"
	fi
	: >"$state/package-installed"
	if ! dpkg -i "$deb" >"$state/install.log" 2>&1; then
		show_log_tails "$state/install.log"
		fail 1 "package: dpkg -i $(basename "$deb") failed"
		package_remove "$state"
		return 0
	fi
	pass 1
	log "ok: package: dpkg -i $(basename "$deb")"
	check "package: no service started at installation" package_nothing_started
	check "package: user intuka exists" package_user_exists
	check "package: $PACKAGE_SECRETS made with mode 0640 root:intuka, random db_password and jwt_key" \
		package_secrets_mode_is_0640_root_intuka
	check "package: $PACKAGE_CONF as shipped passes intukad --check" \
		/usr/sbin/intukad -c "$PACKAGE_CONF" --check
	check "package: manual pages installed and mandoc -T lint clean" package_man_pages_lint_clean
	check "package: example web server configurations in /usr/share/doc/intuka/examples" package_examples_installed
	check "package: systemd-analyze security rates both units at most $PACKAGE_EXPOSURE_MAX" package_units_exposure_low

	if ! mariadb_start "$DB_DIR"; then
		fail 1 "package: MariaDB not available"
		package_remove "$state"
		return 0
	fi
	db_port=$(cat "$DB_DIR/port")
	package_configure "$db_port"
	# The web server reaches the socket through group intuka (README.Debian).
	if ! id -nG "$INTUKA_WEB_USER" | tr ' ' '\n' | grep -qx intuka; then
		usermod -aG intuka "$INTUKA_WEB_USER" && : >"$state/www-data-added"
	fi
	if package_systemd_is_init; then
		log "systemd is PID 1: systemctl start intukad intuka-webhooks"
		if ! package_create_database || ! intuka_run /usr/bin/intuka-admin migrate >"$state/migrate.log" 2>&1; then
			fail 1 "package: creating the database or intuka-admin migrate failed"
			show_log_tails "$state/migrate.log"
			package_remove "$state"
			return 0
		fi
		systemctl daemon-reload
		check "package: systemctl start intukad (Type=notify: returns once ready)" \
			systemctl start intukad.service intuka-webhooks.service
		check "package: intukad.service is active and says it serves" package_systemd_serving
	else
		log "systemd is not PID 1 here (PID 1 is '$(cat /proc/1/comm)'): intukad and the webhook deliverer run with their units' command lines, as user intuka"
		if ! package_start_without_systemd "$state"; then
			fail 1 "package: intukad did not start"
			show_log_tails "$state/intukad.out" "$PACKAGE_LOG_DIR/intukad.log"
			package_remove "$state"
			return 0
		fi
		if ! package_create_database || ! intuka_run /usr/bin/intuka-admin migrate >"$state/migrate.log" 2>&1; then
			fail 1 "package: creating the database or intuka-admin migrate failed"
			show_log_tails "$state/migrate.log"
		fi
		wait_until 15 package_notified "$state/notify.log" 'READY=1' || true
		check "package: READY=1 once the database answers ($(package_notify_text "$state/notify.log"))" \
			package_ready_and_serving "$state/notify.log"
		check "package: the webhook deliverer runs" package_start_deliverer_without_systemd "$state"
	fi
	port=$(port_find_free)
	if ! package_start_lighttpd "$state" "$port"; then
		fail 1 "package: lighttpd in front of $PACKAGE_RUN_DIR/intuka.sock did not start"
	else
		package_smoke "$state" "$port"
		package_check_rotation "$state" "$port"
	fi
	web_stop "$state"
	check "package: intukad stops on SIGTERM and removes its socket and pid file" package_stop_checked "$state"
	deliverer_stop "$state"
	if ((FAILED > failed_before)); then
		show_log_tails "$state/intukad.out" "$PACKAGE_LOG_DIR/intukad.log" "$PACKAGE_LOG_DIR/intuka-webhooks.log" \
			"$state/lighttpd/error.log"
		cp -a "$PACKAGE_LOG_DIR" "$state/var-log-intuka" 2>/dev/null || true
	fi
	package_remove "$state"
	check "package: dpkg --purge removes the secrets file" test ! -e "$PACKAGE_SECRETS"
	exec {lock_fd}>&-
}

package_systemd_serving() {
	systemctl is-active --quiet intukad.service &&
		systemctl show -p StatusText intukad.service | grep -q 'serving on'
}
