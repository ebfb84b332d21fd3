# shellcheck shell=bash
# Builds Intuka in the source tree: autoreconf only when the autotools inputs
# changed, ./configure only when its flags changed, then make.
# Sourced, never executed; needs common.sh.

# Where the flags of the last ./configure run are remembered (git-ignored).
INTUKA_CONFIGURE_STAMP="$INTUKA_REPO/.intuka-configure-flags"

# True when ./configure must be regenerated from configure.ac / Makefile.am.
build_autoreconf_needed() {
	local input
	[[ -x "$INTUKA_REPO/configure" ]] || return 0
	for input in configure.ac Makefile.am; do
		[[ "$INTUKA_REPO/configure" -ot "$INTUKA_REPO/$input" ]] && return 0
	done
	return 1
}

build_autoreconf() {
	if build_autoreconf_needed; then
		log "autoreconf -fi"
		# configure.ac names m4/ as its macro directory; git does not keep an
		# empty directory, so a fresh clone may lack it and aclocal would fail.
		mkdir -p "$INTUKA_REPO/m4" || return 1
		(cd "$INTUKA_REPO" && autoreconf -fi) || return 1
	fi
	return 0
}

# True when ./configure must run again: never configured, configure newer than
# its last run, or different flags this time.
build_configure_needed() {
	local flags="$1" last=""
	[[ -f "$INTUKA_REPO/Makefile" && -x "$INTUKA_REPO/config.status" ]] || return 0
	[[ "$INTUKA_REPO/config.status" -ot "$INTUKA_REPO/configure" ]] && return 0
	[[ -f "$INTUKA_CONFIGURE_STAMP" ]] && last=$(<"$INTUKA_CONFIGURE_STAMP")
	[[ "$flags" != "$last" ]]
}

# Runs ./configure with the given flags when needed.
build_configure() {
	local flags="$*"
	build_configure_needed "$flags" || return 0
	if [[ -f "$INTUKA_REPO/Makefile" ]]; then
		# Objects depend on sources, not on CFLAGS: without a clean, switching
		# between e.g. a sanitizer and a plain build would link mixed objects.
		log "configure flags changed (was: '$(cat "$INTUKA_CONFIGURE_STAMP" 2>/dev/null || true)'): make clean"
		(cd "$INTUKA_REPO" && make clean >/dev/null) || true
	fi
	log "./configure${flags:+ $flags}"
	rm -f "$INTUKA_CONFIGURE_STAMP"
	(cd "$INTUKA_REPO" && ./configure "$@") || return 1
	printf '%s\n' "$flags" >"$INTUKA_CONFIGURE_STAMP"
}

build_make() {
	log "make -j2"
	(cd "$INTUKA_REPO" && make -j2)
}

# Full build with the given ./configure flags (none for a release build).
# Explicit "|| return 1": callers may run this inside "if", where bash ignores
# set -e.
build_all() {
	build_autoreconf || return 1
	build_configure "$@" || return 1
	build_make
}
