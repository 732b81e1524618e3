#!/bin/sh
# contrib/deps.sh: installs what ticketd needs to build, test and demo on
# Debian 12, when it is missing. Asks dpkg first: with everything in place
# it changes nothing and needs no network.
#
# Never libcurl4-openssl-dev: it cannot be installed beside libetpan-dev.
# systemd (systemd-analyze, sysusers, tmpfiles) and groff-base check the
# install and the man pages (t5100, t5101); libsystemd-dev is sd_notify;
# clang and libclang-rt-dev (libFuzzer, its sanitizers) are the fuzz pass
# of .ci/run (contrib/fuzz.sh).
set -eu

PACKAGES="libetpan-dev libcurl4-gnutls-dev libsqlite3-dev uuid-dev
libgnutls28-dev libuchardet-dev libxml2-dev libjansson-dev pkg-config cmake gcc make
dovecot-imapd python3-aiosmtpd sqlite3 openssl tzdata ca-certificates faketime
curl libsystemd-dev systemd groff-base clang libclang-rt-dev time e2fsprogs"

missing=
for pkg in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || :)
	if [ "$status" != installed ]; then
		missing="$missing $pkg"
	fi
done

if [ -z "$missing" ]; then
	echo "deps: all packages installed"
	exit 0
fi

echo "deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "deps: not root and no sudo: install these packages:$missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# </dev/null: apt and package scripts never wait for a terminal (CI has none).
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends $missing </dev/null
