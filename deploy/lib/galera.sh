#!/usr/bin/env bash
# A private MariaDB Galera cluster of N nodes on loopback, every node in its
# own directory (the layout of deploy/lib/mariadb.sh, plus the Galera ports),
# so it runs next to a system MariaDB and goes away with its directory.
# State transfers use rsync (wsrep_sst_rsync): it needs no database account.
# Its rsync daemon on the joiner runs as the server's user, and rsync run by
# root hands modules to "nobody": so, as root, the nodes run as mysql and
# own their directories (the parent must be passable, 0711). Incremental
# transfers (IST) come from the donor's gcache when a node that was away
# briefly comes back.
#
# Sourced by deploy/cluster.sh and deploy/test.sh for its functions, or run
# as a command so tests can kill and restart one node under load:
#   deploy/lib/galera.sh start|stop|kill|status|sql NODE_DIR
#   deploy/lib/galera.sh cluster-stop|cluster-start BASE   (every node of BASE)
#
# Layout of a node directory: what mariadb.sh keeps (my.cnf, data/,
# mariadb.sock, mariadb.pid, error.log, port) and galera.ports
# ("PORT GCOMM_PORT IST_PORT SST_PORT"), cluster (the gcomm:// address).

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	set -euo pipefail
	# shellcheck source=deploy/lib/common.sh
	source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
	# shellcheck source=deploy/lib/mariadb.sh
	source "$(dirname "${BASH_SOURCE[0]}")/mariadb.sh"
fi

GALERA_PROVIDER="${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}"
GALERA_CLUSTER_NAME="${GALERA_CLUSTER_NAME:-intuka}"
# A joiner copies the whole data directory (SST) on first start: allow time
# on a loaded machine.
GALERA_JOIN_TIMEOUT_S="${GALERA_JOIN_TIMEOUT_S:-180}"

# Prints N*4 distinct free ports, one a line (port, gcomm, IST, SST per node).
galera_pick_ports() {
	local count=$(($1 * 4)) port
	local -a taken=()
	while ((${#taken[@]} < count)); do
		port=$(port_find_free) || return 1
		[[ " ${taken[*]} " == *" $port "* ]] && continue
		taken+=("$port")
	done
	printf '%s\n' "${taken[@]}"
}

# Writes NODE_DIR/my.cnf: the single-server file of mariadb.sh, the
# system tables installed without Galera, then the Galera group added.
#   NODE_DIR NAME PORT GCOMM IST SST CLUSTER_ADDRESS
galera_write_cnf() {
	local dir="$1" name="$2" port="$3" gcomm="$4" ist="$5" sst="$6" address="$7"
	mariadb_write_cnf "$dir" "$port" || return 1
	if ((EUID == 0)); then
		sed -i '0,/^user = root$/s//user = mysql/' "$dir/my.cnf" || return 1
		chown mysql:mysql "$dir" || return 1
	fi
	mariadb_install "$dir" || return 1
	((EUID != 0)) || chown -R mysql:mysql "$dir" || return 1
	cat >>"$dir/my.cnf" <<-EOF

		[galera]
		wsrep_on = ON
		wsrep_provider = $GALERA_PROVIDER
		wsrep_cluster_name = $GALERA_CLUSTER_NAME
		wsrep_cluster_address = $address
		wsrep_node_name = $name
		wsrep_node_address = 127.0.0.1:$gcomm
		wsrep_node_incoming_address = 127.0.0.1:$port
		wsrep_sst_method = rsync
		wsrep_sst_receive_address = 127.0.0.1:$sst
		wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:$gcomm;ist.recv_addr=127.0.0.1:$ist;gcache.size=64M;pc.wait_prim_timeout=PT30S"
		# Autocommit statements that lose certification are run again by the
		# server (rate counters, leases): up to 3 times.
		wsrep_retry_autocommit = 3
		wsrep_slave_threads = 2
		binlog_format = ROW
		default_storage_engine = InnoDB
		innodb_autoinc_lock_mode = 2
		# Durability comes from the other nodes; the redo log is flushed once a second.
		innodb_flush_log_at_trx_commit = 2
	EOF
	printf '%s %s %s %s\n' "$port" "$gcomm" "$ist" "$sst" >"$dir/galera.ports"
	printf '%s\n' "$address" >"$dir/cluster"
}

# SHOW STATUS value of NODE_DIR (empty when the node does not answer).
galera_status_value() {
	mariadb_sql "$1" --connect-timeout=2 -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | awk '{ print $2 }'
}

# Poll step while a node starts: 0 = Synced and ready, 2 = died.
galera_node_ready() {
	local dir="$1" pid="$2"
	proc_alive "$pid" || return 2
	[[ "$(galera_status_value "$dir" wsrep_ready)" == ON &&
		"$(galera_status_value "$dir" wsrep_local_state_comment)" == Synced ]]
}

# Prints the position (UUID:SEQNO) a node that was killed had reached,
# found by mariadbd --wsrep-recover in its InnoDB logs; nothing when the
# node stopped cleanly (its grastate.dat has the position) or never ran.
# Without it a killed node would ask for a full copy (SST) instead of the
# writes it missed (IST). (Debian's systemd unit does the same with
# galera_recovery.)
galera_recover_position() {
	local dir="$1" line
	[[ -f "$dir/data/grastate.dat" ]] || return 0
	grep -q '^seqno:[[:space:]]*-1' "$dir/data/grastate.dat" || return 0
	grep -q '^uuid:[[:space:]]*00000000-0000-0000-0000-000000000000' "$dir/data/grastate.dat" && return 0
	rm -f "$dir/recover.log"
	mariadbd --defaults-file="$(mariadb_cnf "$dir")" --wsrep-recover --log-error="$dir/recover.log" \
		</dev/null >/dev/null 2>&1 || true
	line=$(grep -o 'WSREP: Recovered position: [^ ]*' "$dir/recover.log" 2>/dev/null | tail -n 1)
	line="${line##*: }"
	if [[ "$line" =~ ^[0-9a-f-]{36}:[0-9]+$ ]]; then
		log "Galera node $dir recovered position $line"
		printf '%s\n' "$line"
	fi
	return 0
}

# Starts the node of NODE_DIR (configured by galera_write_cnf) and waits
# until it is Synced. With "new", it bootstraps a new cluster instead of
# joining one. Idempotent for a running node.
galera_node_start() {
	local dir="$1" mode="${2:-join}" pid position
	local -a extra=()
	if mariadb_running "$dir" && galera_node_ready "$dir" "$(mariadb_pid "$dir")"; then
		return 0
	fi
	[[ "$mode" == new ]] && extra=(--wsrep-new-cluster)
	position=$(galera_recover_position "$dir") || return 1
	[[ -z "$position" ]] || extra+=("--wsrep-start-position=$position")
	# A node killed in the middle of things left its pid file; a stale one
	# would make mariadb_stop look at an unrelated process.
	rm -f "$dir/mariadb.pid"
	setsid mariadbd --defaults-file="$(mariadb_cnf "$dir")" "${extra[@]}" </dev/null >>"$dir/error.log" 2>&1 &
	pid=$!
	printf '%s\n' "$pid" >"$dir/mariadbd.started"
	if ! wait_until "$GALERA_JOIN_TIMEOUT_S" galera_node_ready "$dir" "$pid"; then
		log "Galera node $dir not Synced within ${GALERA_JOIN_TIMEOUT_S}s"
		show_log_tails "$dir/error.log"
		return 1
	fi
	log "Galera node up: pid $pid, 127.0.0.1:$(cat "$dir/port"), $(galera_status_value "$dir" wsrep_cluster_size) in the cluster"
}

# Prepares and starts N nodes under BASE (BASE/db1 ... BASE/dbN): fresh
# ports, the system tables on every node, node 1 bootstraps, the others join.
galera_cluster_start() {
	local base="$1" count="$2" i dir address="gcomm://"
	local -a ports
	mapfile -t ports < <(galera_pick_ports "$count")
	((${#ports[@]} == count * 4)) || return 1
	for ((i = 0; i < count; i++)); do
		address+="127.0.0.1:${ports[i * 4 + 1]}"
		((i + 1 < count)) && address+=","
	done
	for ((i = 0; i < count; i++)); do
		dir="$base/db$((i + 1))"
		mkdir -p "$dir" || return 1
		chmod 0700 "$dir"
		check_socket_path "$dir/mariadb.sock"
		galera_write_cnf "$dir" "db$((i + 1))" "${ports[i * 4]}" "${ports[i * 4 + 1]}" "${ports[i * 4 + 2]}" \
			"${ports[i * 4 + 3]}" "$address" || return 1
	done
	galera_node_start "$base/db1" new || return 1
	for ((i = 2; i <= count; i++)); do
		galera_node_start "$base/db$i" || return 1
	done
}

# Stops a node gracefully (it leaves the cluster cleanly).
galera_node_stop() {
	mariadb_stop "$1"
}

# SIGKILL, as a machine that dies: the others see it gone, its grastate
# stays "unsafe" and a restart catches up by IST.
galera_node_kill() {
	local dir="$1" pid
	pid=$(mariadb_pid "$dir")
	[[ -n "$pid" ]] || pid=$(pidfile_read "$dir/mariadbd.started")
	if [[ -n "$pid" ]] && proc_matches "$pid" mariadbd; then
		kill -s KILL "$pid"
		proc_wait_gone "$pid" 10 || return 1
	fi
}

# Stops the nodes in reverse order; the last one left records a clean state.
galera_cluster_stop() {
	local base="$1" dir
	local -a dirs
	mapfile -t dirs < <(find "$base" -maxdepth 1 -name 'db[0-9]*' -type d | sort -r)
	for dir in "${dirs[@]}"; do
		galera_node_stop "$dir" || true
	done
}

# One line per node: port, pid, cluster size, state.
galera_node_status() {
	local dir="$1" name pid size state
	name=$(basename "$dir")
	pid=$(mariadb_pid "$dir")
	if [[ -z "$pid" ]] || ! proc_matches "$pid" mariadbd; then
		printf '%-9s not running\n' "$name"
		return 1
	fi
	size=$(galera_status_value "$dir" wsrep_cluster_size)
	state=$(galera_status_value "$dir" wsrep_local_state_comment)
	printf '%-9s pid %-8s 127.0.0.1:%s  wsrep_cluster_size %s, %s, ready %s\n' "$name" "$pid" "$(cat "$dir/port")" \
		"${size:-?}" "${state:-not answering}" "$(galera_status_value "$dir" wsrep_ready)"
	[[ "$state" == Synced ]]
}

# "127.0.0.1:P1,127.0.0.1:P2,..." of the nodes under BASE, starting with
# node FIRST (1-based) and wrapping: each web node prefers another node.
galera_db_hosts() {
	local base="$1" first="$2" count i n out=""
	count=$(find "$base" -maxdepth 1 -name 'db[0-9]*' -type d | wc -l)
	for ((i = 0; i < count; i++)); do
		n=$(((first - 1 + i) % count + 1))
		out+="127.0.0.1:$(cat "$base/db$n/port")"
		((i + 1 < count)) && out+=","
	done
	printf '%s\n' "$out"
}

# Starts every node of BASE again after galera_cluster_stop: node 1 left
# last, so it holds the newest state (safe_to_bootstrap) and bootstraps;
# the others join it and catch up.
galera_cluster_restart() {
	local base="$1" dir
	local -a dirs
	mapfile -t dirs < <(find "$base" -maxdepth 1 -name 'db[0-9]*' -type d | sort -V)
	galera_node_start "${dirs[0]}" new || return 1
	for dir in "${dirs[@]:1}"; do
		galera_node_start "$dir" || return 1
	done
}

galera_main() {
	local command="${1:-}" dir="${2:-}"
	[[ -n "$command" && -d "$dir" ]] || {
		printf 'usage: %s start|stop|kill|status|sql NODE_DIR | cluster-stop|cluster-start BASE\n' "$0" >&2
		exit 64
	}
	case "$command" in
	cluster-stop) galera_cluster_stop "$dir" ;;
	cluster-start) galera_cluster_restart "$dir" ;;
	start) galera_node_start "$dir" ;;
	stop) galera_node_stop "$dir" ;;
	kill) galera_node_kill "$dir" ;;
	status) galera_node_status "$dir" ;;
	sql) mariadb_sql "$dir" "$INTUKA_DB_NAME" ;;
	*)
		printf 'unknown command: %s\n' "$command" >&2
		exit 64
		;;
	esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	galera_main "$@"
fi
