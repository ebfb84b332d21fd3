# shellcheck shell=bash
# deploy/test.sh's "shared" flavour: Intuka the way a shared-hosting customer
# runs it, without root. A throw-away ordinary user gets a home directory; as
# that user: ./configure --prefix=$HOME/intuka --disable-tests, make, make
# install, a configuration and secrets file under ~/intuka/etc/intuka, the
# schema migrated with ~/intuka/bin/intuka-admin into the database the host
# gave them, and ~/public_html with the .htaccess and intuka.fcgi. The host's
# part (root): the database and its user, and Apache with mod_fcgid running
# the customer's intuka.fcgi as the customer (as suexec does). No MariaDB,
# daemon or process of the customer's own runs outside Apache's.
# Sourced by deploy/test.sh after common.sh, mariadb.sh and stack.sh.

SHARED_DB_NAME=intuka_shared
SHARED_DB_USER=intuka_shared

# Runs a command as the hosting customer, in their home, with a login-like
# environment (no INTUKA_* of ours).
shared_as_user() {
	local user="$1" home="$2"
	shift 2
	(cd "$home" && env -i HOME="$home" USER="$user" LOGNAME="$user" PATH=/usr/local/bin:/usr/bin:/bin \
		setpriv --reuid="$user" --regid="$user" --init-groups -- "$@")
}

# The host's control panel: a database and its user, the password handed to
# the customer (printed).
shared_host_creates_database() {
	local password quoted
	password=$(openssl rand -hex 24)
	quoted=$(sql_quote "$password")
	mariadb_sql "$DB_DIR" -e "DROP DATABASE IF EXISTS \`$SHARED_DB_NAME\`;
		CREATE DATABASE \`$SHARED_DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER IF NOT EXISTS '$SHARED_DB_USER'@'127.0.0.1' IDENTIFIED BY $quoted;
		ALTER USER '$SHARED_DB_USER'@'127.0.0.1' IDENTIFIED BY $quoted;
		GRANT ALL PRIVILEGES ON \`$SHARED_DB_NAME\`.* TO '$SHARED_DB_USER'@'127.0.0.1';" || return 1
	printf '%s\n' "$password"
}

# The customer's installation script, run as them: build and install into
# ~/intuka, write the configuration, migrate, lay out ~/public_html.
# Arguments: TARBALL DB_PORT; the database password comes on standard
# input, so it never shows on a command line (printf is a shell builtin).
# shellcheck disable=SC2016
SHARED_INSTALL_SCRIPT='
set -eu
tarball=$1 db_port=$2
read -r db_password
prefix=$HOME/intuka
mkdir -p src
tar -xzf "$tarball" -C src
cd src/intuka-*
./configure --prefix="$prefix" --disable-tests >configure.log 2>&1 || { tail -n 30 configure.log; exit 1; }
tail -n 12 configure.log
make -j2 >make.log 2>&1 || { tail -n 30 make.log; exit 1; }
make install >install.log 2>&1 || { tail -n 30 install.log; exit 1; }
mkdir -p "$prefix/etc/intuka" "$prefix/var/log" "$HOME/public_html"
umask 077
printf "db_password = %s\njwt_key.k1 = %s\n" "$db_password" "$(openssl rand -base64 48)" >"$prefix/etc/intuka/secrets.conf"
umask 022
cat >"$prefix/etc/intuka/intuka.conf" <<EOF
# Intuka under $HOME: Apache (mod_fcgid) starts intukad --single itself.
log_target = file
log_file = $prefix/var/log/intukad.log
db_host = 127.0.0.1
db_port = $db_port
db_name = intuka_shared
db_user = intuka_shared
secrets_file = $prefix/etc/intuka/secrets.conf
mail_command = cat >> $prefix/var/log/mail.log
EOF
"$prefix/sbin/intukad" --check
"$prefix/bin/intuka-admin" migrate
cp deploy/apache/shared-hosting/.htaccess deploy/apache/shared-hosting/intuka.fcgi "$HOME/public_html/"
chmod 0755 "$HOME/public_html/intuka.fcgi"
echo "Intuka static file" >"$HOME/public_html/static.txt"
'

# The host's Apache with mod_fcgid, the customer's web root, and the
# customer as the user mod_fcgid runs intuka.fcgi as.
shared_start_apache() {
	local state="$1" port="$2" user="$3" home="$4" dir="$1/apache"
	mkdir -p "$dir/run" "$dir/fcgid-ipc" || return 1
	chown "$user:$user" "$dir/fcgid-ipc"
	render_template "$INTUKA_REPO/deploy/apache/intuka-fcgid.conf" "$dir/httpd.conf" \
		PORT="$port" STATE_DIR="$dir" DOCROOT="$home/public_html" \
		USER="$user" GROUP="$user" MAX_PROCESSES=2 CLIENT_TIMEOUT_S=10 || return 1
	apache2 -t -f "$dir/httpd.conf" >"$dir/configtest.log" 2>&1 || {
		show_log_tails "$dir/configtest.log"
		return 1
	}
	web_launch "$state" "$port" apache2 "$dir/stdout.log" -- apache2 -f "$dir/httpd.conf" -DFOREGROUND
}

# Every intukad process serving this customer runs as the customer, and at
# least one did.
shared_processes_are_the_customers() {
	local user="$1" home="$2" proc cmdline owner found=0
	for proc in /proc/[0-9]*; do
		# intuka.fcgi execs "$HOME/public_html/../intuka/sbin/intukad --single".
		cmdline=$( { tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null) || continue
		[[ "$cmdline" == *"$home/"*intukad*--single* ]] || continue
		owner=$(stat -c %U "$proc" 2>/dev/null) || continue
		if [[ "$owner" != "$user" ]]; then
			log "intukad pid ${proc#/proc/} runs as $owner, not $user"
			return 1
		fi
		found=1
	done
	((found)) || log "no intukad process of $user found"
	((found))
}

# Removes the customer (their home goes with TEST_ROOT). Idempotent.
shared_remove() {
	local state="$1" user
	[[ -f "$state/user" ]] || return 0
	user=$(cat "$state/user")
	# Apache (stopped by stack_down or phase_shared) stops the processes it
	# ran as the customer; anything still left of theirs is named and ended.
	local proc uid
	uid=$(id -u "$user" 2>/dev/null) || uid=""
	for proc in /proc/[0-9]*; do
		[[ -n "$uid" && "$(stat -c %u "$proc" 2>/dev/null)" == "$uid" ]] || continue
		log "left running as $user: pid ${proc#/proc/} $( { tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null)"
		kill -KILL "${proc#/proc/}" 2>/dev/null || true
	done
	userdel "$user" >/dev/null 2>&1 || log "userdel $user failed"
	rm -f "$state/user"
}

phase_shared() {
	local state="$1" user home port password tarball version rc=0 failed_before="$FAILED"
	log "===== shared hosting: a non-root install under \$HOME behind Apache mod_fcgid ====="
	mkdir -p "$state/pids"
	printf 'shared\n' >"$state/flavour"
	user="intukash$$"
	home="$state/home"
	if ! useradd --home-dir "$home" --create-home --shell /bin/sh --user-group "$user"; then
		fail 1 "shared: useradd $user failed"
		return 0
	fi
	printf '%s\n' "$user" >"$state/user"
	version=$(sed -n 's/^PACKAGE_VERSION = //p' "$INTUKA_REPO/Makefile")
	if ! (cd "$INTUKA_REPO" && make -s dist) >"$state/dist.log" 2>&1; then
		show_log_tails "$state/dist.log"
		fail 1 "shared: make dist failed"
		return 0
	fi
	# What the customer uploads: the release tarball, into their home.
	tarball="$home/intuka-$version.tar.gz"
	install -o "$user" -g "$user" -m 0644 "$INTUKA_REPO/intuka-$version.tar.gz" "$tarball"
	if ! mariadb_start "$DB_DIR" || ! password=$(shared_host_creates_database); then
		fail 1 "shared: the host's database is not available"
		return 0
	fi
	log "as $user (uid $(id -u "$user")): ./configure --prefix=\$HOME/intuka --disable-tests, make, make install, configure, migrate"
	printf '%s\n' "$password" | shared_as_user "$user" "$home" /bin/sh -c "$SHARED_INSTALL_SCRIPT" sh "$tarball" \
		"$(cat "$DB_DIR/port")" >"$state/install.log" 2>&1 || rc=$?
	cat "$state/install.log" >&2
	check "shared: as $user, configure --prefix=\$HOME/intuka, make install, intukad --check, intuka-admin migrate (exit $rc)" \
		test "$rc" -eq 0
	((rc == 0)) || return 0
	check "shared: make install put the manual pages under \$HOME/intuka/share/man" \
		test -f "$home/intuka/share/man/man8/intukad.8" -a -f "$home/intuka/share/man/man5/intuka.conf.5"
	check "shared: everything under \$HOME/intuka belongs to $user" \
		test -z "$(find "$home/intuka" ! -user "$user" -print -quit)"
	port=$(port_find_free)
	if ! shared_start_apache "$state" "$port" "$user" "$home"; then
		fail 1 "shared: the host's Apache with the customer's .htaccess did not start"
		show_log_tails "$state/apache/error.log"
		return 0
	fi
	# The test program runs as the customer too: its intuka-admin calls are
	# the customer's. A copy, as the repository may be out of their reach.
	install -o "$user" -g "$user" -m 0755 "$ITEST_BIN" "$home/intuka-itest"
	itest_run_counted shared "$state/itest.log" -- \
		setpriv --reuid="$user" --regid="$user" --init-groups -- env -i HOME="$home" PATH=/usr/bin:/bin \
		INTUKA_TEST_BASE_URL="http://127.0.0.1:$port" INTUKA_TEST_FLAVOUR=shared \
		INTUKA_TEST_CONFIG="$home/intuka/etc/intuka/intuka.conf" INTUKA_TEST_ADMIN="$home/intuka/bin/intuka-admin" \
		"$home/intuka-itest" smoke
	check "shared: every intukad process runs as $user" shared_processes_are_the_customers "$user" "$home"
	check "shared: the requests are logged in \$HOME/intuka/var/log/intukad.log" \
		grep -q '"type":"access"' "$home/intuka/var/log/intukad.log"
	if ((FAILED > failed_before)); then
		show_log_tails "$home/intuka/var/log/intukad.log" "$state/apache/error.log"
	fi
	web_stop "$state"
	shared_remove "$state"
}
