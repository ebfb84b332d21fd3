# Peers for bench/run.sh (sourced): a minimal C FastCGI program and a PHP-FPM
# + PDO script doing a lighter version of scenario (c) on the same data, in
# the same MariaDB, behind a lighttpd of their own. Each verifies the same
# access tokens, counts the request in a durable InnoDB rate counter and reads
# the same 25-row page; neither checks the session, permissions or a total,
# nor writes an access line. See bench/README.md ("Peers").
#
# Needs: spawn-fcgi, php8.2-fpm, php8.2-mysql (installed when missing).

PEER_PORT=""
PEER_DIR=""
PEER_DB_PASSWORD=""

peers_require_tools() {
	local missing=() package
	for package in spawn-fcgi php8.2-fpm php8.2-mysql; do
		dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
	done
	((${#missing[@]} == 0)) && return 0
	((EUID == 0)) || die "the peers need ${missing[*]} (apt-get install ${missing[*]})"
	log "installing ${missing[*]}"
	deps_apt_install "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
}

peers_build() {
	# shellcheck disable=SC2046 # one word per flag
	gcc -O2 -Wall -Wextra -Werror -o "$PEER_DIR/peer_list" "$BENCH_DIR/peers/peer_list.c" \
		$(mariadb_config --cflags) $(pkg-config --cflags json-c openssl) \
		-lfcgi $(mariadb_config --libs) $(pkg-config --libs json-c openssl) ||
		die "the C peer did not build"
}

# The peers' own counter table (the reference schema) and a database user
# that reads the leads and writes that table only.
peers_setup_db() {
	PEER_DB_PASSWORD=$(openssl rand -hex 16)
	bench_sql -e "CREATE TABLE IF NOT EXISTS bench_peer_rate_counters (
			bucket_key VARCHAR(128) NOT NULL,
			window_start INT UNSIGNED NOT NULL,
			hits INT UNSIGNED NOT NULL,
			PRIMARY KEY (bucket_key, window_start)
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;"
	mariadb_sql "$DB_DIR" -e "CREATE USER IF NOT EXISTS 'bench_peer'@'127.0.0.1' IDENTIFIED BY '$PEER_DB_PASSWORD';
		GRANT SELECT ON \`$INTUKA_DB_NAME\`.sales_leads TO 'bench_peer'@'127.0.0.1';
		GRANT SELECT, INSERT, UPDATE ON \`$INTUKA_DB_NAME\`.bench_peer_rate_counters TO 'bench_peer'@'127.0.0.1';
		FLUSH PRIVILEGES;"
}

# The base64 signing key intukad signs access tokens with.
peers_jwt_key() {
	sed -n 's/^[[:space:]]*jwt_key\.[A-Za-z0-9_-]*[[:space:]]*=[[:space:]]*//p' "$BENCH_ROOT/secrets.conf" | head -n 1
}

# Starts WORKERS C processes (spawn-fcgi) and WORKERS PHP-FPM children
# behind one lighttpd on a free port: /peer/leads (C), /peer_list.php (PHP).
peers_start() {
	local workers="$1" key db_port
	PEER_DIR="$BENCH_ROOT/peers"
	mkdir -p "$PEER_DIR/www"
	peers_build
	peers_setup_db
	key=$(peers_jwt_key)
	[[ -n "$key" ]] || die "no jwt_key in $BENCH_ROOT/secrets.conf for the peers"
	db_port=$(cat "$DB_DIR/port")
	cp "$BENCH_DIR/peers/peer_list.php" "$PEER_DIR/www/"
	PEER_PORT=$(port_find_free)
	cat >"$PEER_DIR/fpm.conf" <<-CONF
		[global]
		pid = $PEER_DIR/fpm.pid
		error_log = $PEER_DIR/fpm.log
		daemonize = yes
		[peer]
		user = www-data
		group = www-data
		listen = $PEER_DIR/fpm.sock
		listen.owner = www-data
		listen.group = www-data
		pm = static
		pm.max_children = $workers
		clear_env = yes
		env[DB_HOST] = 127.0.0.1
		env[DB_PORT] = $db_port
		env[DB_USER] = bench_peer
		env[DB_PASSWORD] = $PEER_DB_PASSWORD
		env[DB_NAME] = $INTUKA_DB_NAME
		env[JWT_KEY_BASE64] = $key
	CONF
	cat >"$PEER_DIR/lighttpd.conf" <<-CONF
		server.document-root = "$PEER_DIR/www"
		server.bind = "127.0.0.1"
		server.port = $PEER_PORT
		server.pid-file = "$PEER_DIR/lighttpd.pid"
		server.errorlog = "$PEER_DIR/lighttpd.err"
		server.username = "www-data"
		server.groupname = "www-data"
		server.modules = ("mod_fastcgi")
		fastcgi.server = (
			"/peer/leads" => (("socket" => "$PEER_DIR/c.sock", "check-local" => "disable")),
			".php" => (("socket" => "$PEER_DIR/fpm.sock")),
		)
	CONF
	chown -R www-data:www-data "$PEER_DIR"
	DB_HOST=127.0.0.1 DB_PORT="$db_port" DB_USER=bench_peer DB_PASSWORD="$PEER_DB_PASSWORD" \
		DB_NAME="$INTUKA_DB_NAME" JWT_KEY_BASE64="$key" \
		spawn-fcgi -s "$PEER_DIR/c.sock" -u www-data -g www-data -M 0660 -F "$workers" -P "$PEER_DIR/c.pid" \
		-- "$PEER_DIR/peer_list" >/dev/null || die "spawn-fcgi did not start the C peer"
	php-fpm8.2 -R -y "$PEER_DIR/fpm.conf" || die "php-fpm did not start"
	lighttpd -f "$PEER_DIR/lighttpd.conf" || die "the peers' lighttpd did not start"
	sleep 0.5
	log "peers up on port $PEER_PORT: $workers C processes, $workers PHP-FPM children"
}

# Pids of the peer's application processes: the C peer's or PHP-FPM's.
peers_app_pids() {
	local which="$1"
	case "$which" in
	c) pgrep -f "^$PEER_DIR/peer_list" || true ;;
	php) pgrep -f "php-fpm: pool peer" || true ;;
	esac
}

peers_stop() {
	[[ -n "$PEER_DIR" && -d "$PEER_DIR" ]] || return 0
	local pidfile pid
	for pidfile in "$PEER_DIR/lighttpd.pid" "$PEER_DIR/fpm.pid"; do
		[[ -f "$pidfile" ]] && pid=$(cat "$pidfile") && kill "$pid" 2>/dev/null || true
	done
	pkill -f "^$PEER_DIR/peer_list" 2>/dev/null || true
}

# Request files: the same page for the same users, as the peers are addressed.
peers_prepare_requests() {
	local i
	: >"$WORK/req/peer-c.tsv"
	: >"$WORK/req/peer-php.tsv"
	for ((i = 1; i <= USERS_PER_TENANT; i++)); do
		printf 'GET\t/peer/leads?page=2&limit=25\t%s\t\n' "${TOKENS[bench-10k:$i]}" >>"$WORK/req/peer-c.tsv"
		printf 'GET\t/peer_list.php?page=2&limit=25\t%s\t\n' "${TOKENS[bench-10k:$i]}" >>"$WORK/req/peer-php.tsv"
	done
}

# Checks that both peers answer 200 with 25 leads before they are measured.
peers_check() {
	local path body
	for path in "/peer/leads?page=2&limit=25" "/peer_list.php?page=2&limit=25"; do
		body=$(curl -sS --max-time 10 -H "Authorization: Bearer ${TOKENS[bench-10k:1]}" \
			"http://127.0.0.1:$PEER_PORT$path") || die "peer $path did not answer"
		[[ $(printf '%s' "$body" | grep -o '"firstName"' | wc -l) -eq 25 ]] ||
			die "peer $path did not answer 25 leads: ${body:0:300}"
	done
}
