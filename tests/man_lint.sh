#!/bin/sh
# The manual pages are mdoc; mandoc -T lint must find nothing at warning
# level or above (run by make check when configure found mandoc).
set -eu
: "${MANDOC:=mandoc}"
man_dir="${1:-$(dirname "$0")/../man}"
status=0
for page in "$man_dir"/intukad.8 "$man_dir"/intuka-admin.8 "$man_dir"/intuka.conf.5; do
	if ! "$MANDOC" -T lint -W warning "$page"; then
		echo "man_lint: $page has mandoc warnings (above)"
		status=1
	fi
done
[ "$status" -ne 0 ] || echo "man_lint: 3 pages clean"
exit "$status"
