#!/bin/sh
# The floors of src/, lowest first. A file may include headers of its own
# folder and of lower floors only: no include reaches up, so no circle can
# form. Run by `make check`; prints every upward include and fails on any.
#
#   0 core     ground: allocation, arena, configuration, log, status, strict JSON
#   1 db       MariaDB connection, statements, transactions
#   2 http     the request and response, router, validation, queries, pagination
#   3 auth     who is calling: tokens, API keys, passwords, sessions, rate limits, RBAC
#   4 handler  what a handler gets (request context) and how it answers failures
#   5 find     the find API's gate, plans, metering, workspaces, webhooks
#   6 modules  route tables and handlers of the platform and find APIs
#   7 flow     the request pipeline and the registry of route tables
#   8 server   master, workers, response sender, webhook deliverer
#   9 main, tools
set -eu
src="${1:-$(dirname "$0")/../src}"

floor_of() {
	case "$1" in
	core) echo 0 ;; db) echo 1 ;; http) echo 2 ;; auth) echo 3 ;; handler) echo 4 ;;
	find) echo 5 ;; modules) echo 6 ;; flow) echo 7 ;; server) echo 8 ;; tools | main) echo 9 ;;
	*) echo unknown ;;
	esac
}

violations=0
checked=0
for file in $(cd "$src" && find . -name '*.[ch]' | sed 's|^\./||' | sort); do
	folder=${file%%/*}
	[ "$folder" = "$file" ] && folder=main
	own=$(floor_of "$folder")
	if [ "$own" = unknown ]; then
		echo "layers: $file is in a folder without a floor ($folder): add it to tests/layers.sh"
		violations=$((violations + 1))
		continue
	fi
	for target in $(sed -n 's|^#include "\([a-z_]*\)/.*|\1|p' "$src/$file" | sort -u); do
		[ "$target" = "$folder" ] && continue
		floor=$(floor_of "$target")
		checked=$((checked + 1))
		if [ "$floor" = unknown ] || [ "$floor" -ge "$own" ]; then
			echo "layers: $file (floor $own, $folder) includes $target/ (floor $floor):"
			grep -n "#include \"$target/" "$src/$file" | sed 's/^/    /'
			violations=$((violations + 1))
		fi
	done
done
echo "layers: $checked includes between folders checked, $violations reaching up"
[ "$violations" -eq 0 ]
