#!/bin/sh
# Set up a fresh Debian 12 machine for airlock: install the Debian packages it
# builds, tests and benchmarks with, then build it.
#   contrib/setup.sh run    install, build, run airlockd on its built-in default
#                           (as the system user airlock, created if missing)
#   contrib/setup.sh test   install, build, run the whole test suite (plain,
#                           again built with ASan+UBSan, each fuzz harness for
#                           a minute, then make distcheck)
#   contrib/setup.sh deps   install the packages only
set -eu

# Libraries (pkg-config names in configure.ac): ldns, libuv, sqlite3, cJSON,
# libpsl (with publicsuffix, the list it reads), cmocka, libfstrm and protobuf-c
# (dnstap, with protoc-c).  Tools: autotools, DNS clients for the end-to-end tests
# (dig, kdig, drill), dnspython for the fake upstream, dnstap-ldns and
# fstrm_capture (fstrm-bin) to read dnstap, the benchmark peers, and clang with
# its libFuzzer runtime (libclang-rt-14-dev) for make fuzz-smoke.
PACKAGES="build-essential autoconf automake libtool pkg-config
 libldns-dev libuv1-dev libsqlite3-dev libcjson-dev libpsl-dev publicsuffix zlib1g-dev libcmocka-dev
 libfstrm-dev libprotobuf-c-dev protobuf-c-compiler dnstap-ldns fstrm-bin
 sqlite3 bind9-dnsutils knot-dnsutils ldnsutils python3 python3-dnspython
 iproute2 procps dnsperf unbound dnsmasq-base nsd systemd adduser
 clang libclang-rt-14-dev"

mode=${1:-run}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_deps() {
	missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "setup: installing:$missing"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing
	# The packaged daemons must not hold ports or run behind the tests' back.
	for s in unbound nsd dnsmasq; do
		as_root systemctl disable --now "$s" >/dev/null 2>&1 || true
	done
}

# The account airlockd runs as once its ports are bound (as a package's
# postinst would create it).
add_user() {
	id airlock >/dev/null 2>&1 ||
		as_root adduser --quiet --system --group --no-create-home --home /nonexistent airlock
}

build() {
	builddir=$1; shift
	[ -x configure ] || autoreconf -fi
	mkdir -p "$builddir"
	(cd "$builddir" && "$top/configure" -q "$@" && make -s -j"$(nproc)")
}

# One closing line over the plain and the sanitizer runs.
summary() {
	awk '/^# (PASS|XFAIL):/ { p += $3 } /^# (FAIL|XPASS|ERROR):/ { f += $3 }
	     /^# SKIP:/ { s += $3 }
	     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$@"
}

case $mode in
deps)
	install_deps ;;
run)
	install_deps
	add_user
	build build
	exec build/src/airlockd -u airlock ;;
test)
	install_deps
	add_user
	build build
	make -C build -s -j"$(nproc)" check
	build build-san --enable-sanitizers
	make -C build-san -s -j"$(nproc)" check
	# Each libFuzzer harness for a minute, one after another (docs/FUZZING.md).
	make -C build -s fuzz-smoke FUZZ_SECONDS=60
	# The release tarball builds out of tree and passes the suite too.
	make -C build -s -j"$(nproc)" distcheck >build/distcheck.out 2>&1 ||
		{ tail -n 60 build/distcheck.out; exit 1; }
	echo "setup: make distcheck passed"
	summary build/test-suite.log build-san/test-suite.log ;;
*)
	echo "usage: $0 run|test|deps" >&2; exit 2 ;;
esac
