#!/usr/bin/env bash
# Runs Intuka as several nodes on this machine: a MariaDB Galera cluster of
# N database nodes (default 3) and two web nodes, each an intukad master
# with its own socket, its own lighttpd and its own webhook deliverer, all
# on free loopback ports in one private directory. Both web nodes share the
# secrets (JWT keys) and list every database node in db_hosts, all starting
# with node 1: one node takes the writes (hot rows such as a tenant's
# counters wait on locks there instead of failing certification), the
# others are there to fail over to. INTUKA_CLUSTER_WRITERS=2 makes web node
# 2 start with node 2 instead: writes then arrive at two nodes at once.
#
#   deploy/cluster.sh start [N]   bootstrap N database nodes, migrate once,
#                                 start both web nodes; prints their URLs
#   deploy/cluster.sh stop        stop the web nodes, then the database nodes
#   deploy/cluster.sh status      each node: pid, port, wsrep_cluster_size and
#                                 state, health of each web node
#
# Environment: INTUKA_CLUSTER_DIR (default /var/tmp/intuka-cluster-<hash of
# the repository>), INTUKA_CLUSTER_WRITERS (1 or 2 database nodes taking
# writes, default 1); the binaries are built (release) when missing.
# Layout: db1..dbN/ (deploy/lib/galera.sh), web1/ web2/ (deploy/lib/stack.sh
# state directories), secrets.conf, urls (one web node URL a line).
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
# shellcheck source=deploy/lib/galera.sh
source "$DEPLOY_DIR/lib/galera.sh"
# shellcheck source=deploy/lib/stack.sh
source "$DEPLOY_DIR/lib/stack.sh"

CLUSTER_DIR="${INTUKA_CLUSTER_DIR:-/var/tmp/intuka-cluster-$(printf '%s' "$INTUKA_REPO" | md5sum | cut -c1-12)}"
WEB_NODES=2
WRITERS="${INTUKA_CLUSTER_WRITERS:-1}"
[[ "$WRITERS" == 1 || "$WRITERS" == 2 ]] || die "INTUKA_CLUSTER_WRITERS must be 1 or 2"

usage() {
	sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

cluster_db_dirs() {
	find "$CLUSTER_DIR" -maxdepth 1 -name 'db[0-9]*' -type d 2>/dev/null | sort -V
}

cluster_running() {
	local dir
	while read -r dir; do
		mariadb_running "$dir" && return 0
	done < <(cluster_db_dirs)
	return 1
}

cluster_stop() {
	local i
	for ((i = 1; i <= WEB_NODES; i++)); do
		[[ -d "$CLUSTER_DIR/web$i" ]] && stack_down "$CLUSTER_DIR/web$i"
	done
	[[ -d "$CLUSTER_DIR" ]] && galera_cluster_stop "$CLUSTER_DIR"
	return 0
}

cluster_start() {
	local count="${1:-3}" i port secrets
	[[ "$count" =~ ^[0-9]+$ ]] && ((count >= 1 && count <= 9)) || die "N must be 1-9 database nodes"
	cluster_running && die "a cluster is already running in $CLUSTER_DIR (deploy/cluster.sh stop)"
	deps_ensure
	if [[ ! -x "$INTUKAD_BIN" || ! -x "$INTUKA_ADMIN_BIN" ]]; then
		# shellcheck disable=SC2119
		build_all
	fi
	# A fresh cluster every time: nodes of an earlier run would join with
	# their old data and another cluster's history.
	rm -rf "$CLUSTER_DIR"
	mkdir -p "$CLUSTER_DIR"
	chmod 0711 "$CLUSTER_DIR"
	log "Galera cluster of $count nodes in $CLUSTER_DIR"
	trap 'cluster_stop' EXIT
	galera_cluster_start "$CLUSTER_DIR" "$count"
	secrets="$CLUSTER_DIR/secrets.conf"
	# Accounts and the database are replicated: created once, on node 1.
	mariadb_setup_app "$CLUSTER_DIR/db1" "$secrets"
	secrets_ensure_jwt_key "$secrets"
	secrets_ensure_operator_key "$secrets"
	: >"$CLUSTER_DIR/urls"
	for ((i = 1; i <= WEB_NODES; i++)); do
		port=$(port_find_free)
		# Every web node starts with node 1, or web node i with node i.
		INTUKA_STACK_DB_HOSTS=$(galera_db_hosts "$CLUSTER_DIR" "$(((i - 1) % WRITERS % count + 1))")
		# The second web node's migrate finds the schema done: it is
		# applied once for the cluster.
		INTUKA_STACK_DB_HOSTS="$INTUKA_STACK_DB_HOSTS" stack_up lighttpd "$CLUSTER_DIR/web$i" "$port" "$secrets" \
			"$(cat "$CLUSTER_DIR/db1/port")"
		printf 'http://127.0.0.1:%s\n' "$port" >>"$CLUSTER_DIR/urls"
	done
	trap - EXIT
	printf '\nIntuka cluster running (%s):\n' "$CLUSTER_DIR"
	for ((i = 1; i <= WEB_NODES; i++)); do
		printf '  web node %d: %s/api/v1/  (config %s)\n' "$i" "$(sed -n "${i}p" "$CLUSTER_DIR/urls")" \
			"$(cat "$CLUSTER_DIR/web$i/config")"
	done
	printf '  database nodes: %s\n' "$(galera_db_hosts "$CLUSTER_DIR" 1)"
	printf '  Stop with: deploy/cluster.sh stop\n'
}

cluster_status() {
	local dir i rc=0
	[[ -d "$CLUSTER_DIR" ]] || die "no cluster in $CLUSTER_DIR"
	while read -r dir; do
		galera_node_status "$dir" || rc=1
	done < <(cluster_db_dirs)
	for ((i = 1; i <= WEB_NODES; i++)); do
		printf -- '--- web%d\n' "$i"
		stack_status "$CLUSTER_DIR/web$i" || rc=1
	done
	return "$rc"
}

main() {
	case "${1:-}" in
	start) cluster_start "${2:-3}" ;;
	stop)
		cluster_stop
		log "stopped"
		;;
	status) cluster_status ;;
	-h | --help | help) usage ;;
	*)
		usage >&2
		exit 64
		;;
	esac
}

main "$@"
