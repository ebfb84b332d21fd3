# shellcheck shell=bash
# Installs the Debian packages Intuka needs to build, test and run, touching
# apt only when something is missing, and without letting the packages start
# their system services: the deploy scripts run private instances instead.
# Sourced, never executed; needs common.sh.

# Build and test: compiler, autotools and the -dev packages configure.ac probes;
# python3 with PyYAML, which turn docs/openapi.yaml into the description
# intukad serves (docs/openapi_docs.py); clang with its libFuzzer and
# sanitizer runtimes (libclang-rt-dev, only a recommendation of clang) and
# llvm-symbolizer (llvm) for the fuzz targets.
# mandoc checks the manual pages (make check); debhelper, fakeroot and
# lintian build and check the Debian package (deploy/test.sh --package).
INTUKA_BUILD_PACKAGES=(
	build-essential autoconf automake pkg-config python3 python3-yaml
	libfcgi-dev libjson-c-dev libmariadb-dev libssl-dev libargon2-dev libcunit1-dev libcurl4-openssl-dev
	clang libclang-rt-dev llvm
	mandoc debhelper fakeroot lintian
)
# Tests only: the headless browser that renders GET /api/v1/docs (the
# api_docs integration suite). deploy/test.sh installs it; deploy/run.sh
# needs it only with INTUKA_INSTALL_TEST_PACKAGES=1.
INTUKA_TEST_PACKAGES=(chromium)
# Run: database, both web servers, mod_fcgid, and the tools the scripts call
# (openssl for random secrets, iproute2 for ss, jq to build and read the
# JSON of the demo's API calls; for the package's checks logrotate, socat,
# which receives the sd_notify datagrams, adduser, which the package's
# postinst needs and dpkg -i does not fetch, and systemd for
# systemd-analyze security, also where systemd is not PID 1); galera-4 and
# rsync (its state transfers) for deploy/cluster.sh and the galera flavour.
INTUKA_RUN_PACKAGES=(
	mariadb-server mariadb-client lighttpd apache2 libapache2-mod-fcgid curl openssl iproute2 jq logrotate socat
	adduser systemd galera-4 rsync
)
# Debian's hook that invoke-rc.d asks before starting a service.
DEPS_POLICY_RC_D=/usr/sbin/policy-rc.d

# Packages whose maintainer scripts start a system service on installation.
INTUKA_SERVICE_PACKAGES=(mariadb-server lighttpd apache2 libapache2-mod-fcgid)

# Prints the packages from the arguments that are not installed.
deps_missing() {
	local package status
	for package in "$@"; do
		# "install ok installed" is the only state in which the files are all there;
		# half-configured or removed-but-config-kept packages need (re)installing.
		status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
		if [[ "$status" != "install ok installed" ]]; then
			printf '%s\n' "$package"
		fi
	done
}

# True when any of the packages to install would start a service.
deps_starts_services() {
	local package service
	for package in "$@"; do
		for service in "${INTUKA_SERVICE_PACKAGES[@]}"; do
			[[ "$package" == "$service" ]] && return 0
		done
	done
	return 1
}

# Installs exactly the given packages. When one of them ships a service, a
# temporary policy-rc.d (exit 101 = "action forbidden") keeps invoke-rc.d and
# deb-systemd-invoke from starting it; an existing policy-rc.d (Docker images
# ship one) is left alone, and ours is removed afterwards even on failure.
deps_apt_install() {
	local policy="$DEPS_POLICY_RC_D" created_policy=0 rc=0
	if deps_starts_services "$@" && [[ ! -e "$policy" ]]; then
		printf '#!/bin/sh\n# Temporary, written by Intuka deploy/lib/deps.sh.\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		created_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	# CI has no stdin: never prompt, keep existing config files on conflicts.
	apt-get update -qq || rc=$?
	if ((rc == 0)); then
		apt-get install -y -qq --no-install-recommends \
			-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
			"$@" </dev/null || rc=$?
	fi
	if ((created_policy)); then
		rm -f "$policy"
	fi
	return "$rc"
}

# Makes sure every package Intuka needs to build and run is installed, and
# with "test" as argument also what the tests need.
deps_ensure() {
	local -a wanted=("${INTUKA_BUILD_PACKAGES[@]}" "${INTUKA_RUN_PACKAGES[@]}")
	if [[ "${1:-}" == test ]]; then
		wanted+=("${INTUKA_TEST_PACKAGES[@]}")
	fi
	local -a missing
	mapfile -t missing < <(deps_missing "${wanted[@]}")
	if ((${#missing[@]} == 0)); then
		log "all ${#wanted[@]} required Debian packages are installed"
		return 0
	fi
	if ((EUID != 0)); then
		die "missing Debian packages: ${missing[*]} (run as root, or: apt-get install ${missing[*]})"
	fi
	log "installing missing Debian packages: ${missing[*]}"
	deps_apt_install "${missing[@]}" || die "apt-get install failed for: ${missing[*]}"
}
