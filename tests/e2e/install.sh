#!/bin/bash
# `make install` into a DESTDIR under the test's temp dir: the programs, the
# three man pages, the systemd unit with this build's paths, the default
# configuration and the files it names next to it.  The installed airlockd
# runs and accepts the installed configuration; a second install keeps a
# locally edited airlock.json; `make uninstall` removes the programs and
# the untouched files and keeps the edited configuration.
. "$(dirname "$0")/lib.sh" || exit 1
setup
TOP_BUILDDIR=${TOP_BUILDDIR:-${builddir:-.}}
[ -f "$TOP_BUILDDIR/Makefile" ] || fail "no Makefile in $TOP_BUILDDIR (set TOP_BUILDDIR)"
command -v make >/dev/null 2>&1 || skip "make not installed"
ROOT=$T/root

# The installation directories of this build, as the Makefile has them.
mkvar() {
    local v
    v=$(sed -n "s/^$1 = //p" "$TOP_BUILDDIR/Makefile" | head -n 1)
    eval "$1=\"$v\""
}
for v in prefix exec_prefix bindir sbindir sysconfdir datarootdir datadir mandir localstatedir; do
    mkvar "$v"
done
pkgdatadir=$datadir/airlock
[ -n "$prefix" ] && [ -n "$sysconfdir" ] && [ -n "$mandir" ] ||
    fail "cannot read the installation directories from $TOP_BUILDDIR/Makefile"

# A make of our own: not the jobserver or the variables of the make running
# the tests.
run_make() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$TOP_BUILDDIR" "$@" DESTDIR="$ROOT" \
        >>"$T/make.log" 2>&1
}

run_make install || fail_out "$T/make.log" "make install DESTDIR=$ROOT failed"

ETC=$ROOT$sysconfdir/airlock
UNIT=$ROOT$prefix/lib/systemd/system/airlockd.service
for f in "$ROOT$sbindir/airlockd" "$ROOT$bindir/airlock"; do
    [ -x "$f" ] || fail "not installed or not executable: ${f#"$ROOT"}"
done
for f in "$ROOT$mandir/man1/airlock.1" "$ROOT$mandir/man5/airlock.conf.5" \
    "$ROOT$mandir/man8/airlockd.8" "$UNIT" "$ETC/airlock.json" "$ROOT$pkgdatadir/airlock.json"; do
    [ -s "$f" ] || fail "not installed: ${f#"$ROOT"}"
done
for f in guard-allow.txt guard-block.txt private-endpoints.zone ai-endpoints.json reference.json demo.json; do
    [ -s "$ETC/$f" ] || fail "not installed next to the configuration: ${sysconfdir#/}/airlock/$f"
    cmp -s "$ETC/$f" "$TOP_SRCDIR/zones/$f" || fail "$sysconfdir/airlock/$f differs from zones/$f"
done
if grep -n '@[a-z_]*@' "$UNIT" "$ETC/airlock.json" >"$T/unsubst.out"; then
    fail_out "$T/unsubst.out" "unsubstituted @...@ in what was installed"
fi
grep -qxF "ExecStart=$sbindir/airlockd -c $sysconfdir/airlock/airlock.json" "$UNIT" ||
    fail "the installed unit does not start $sbindir/airlockd -c $sysconfdir/airlock/airlock.json"
grep -qxF "RuntimeDirectory=airlock" "$UNIT" || fail "the installed unit has no RuntimeDirectory=airlock"
grep -qF "\"path\": \"$localstatedir/lib/airlock/queries.db\"" "$ETC/airlock.json" ||
    fail "the installed configuration does not log to $localstatedir/lib/airlock/queries.db"

# The installed programs run.
expect_eq "installed airlockd -V" "airlockd $(sed -n 's/^PACKAGE_VERSION = //p' "$TOP_BUILDDIR/Makefile")" \
    "$("$ROOT$sbindir/airlockd" -V 2>&1)"
"$ROOT$bindir/airlock" version >"$T/version.out" 2>&1 || fail_out "$T/version.out" "installed airlock version failed"

# The installed configuration is valid, its relative file names resolved
# next to it.  It names the account "airlock" (user, control.group): where
# that account does not exist, a copy in the same directory names the
# current user and group instead.
conf=$ETC/airlock.json
if ! getent passwd airlock >/dev/null 2>&1 || ! getent group airlock >/dev/null 2>&1; then
    say "no account airlock here: checking a copy that runs as $(id -un):$(id -gn)"
    sed -e "s/\"user\": \"airlock\"/\"user\": \"$(id -un)\"/" \
        -e "s/\"group\": \"airlock\"/\"group\": \"$(id -gn)\"/" "$conf" >"$ETC/check.json"
    conf=$ETC/check.json
fi
"$ROOT$sbindir/airlockd" -t -c "$conf" >"$T/check.out" 2>&1 ||
    fail_out "$T/check.out" "airlockd -t rejects the installed configuration"
grep -qxF "$conf: ok" "$T/check.out" || fail_out "$T/check.out" "airlockd -t did not say ok"
rm -f "$ETC/check.json"

# A second install keeps a locally edited configuration and list.
printf '# edited here\n' >>"$ETC/airlock.json"
printf 'example.org\n' >>"$ETC/guard-block.txt"
cp "$ETC/airlock.json" "$T/edited.json"
run_make install || fail_out "$T/make.log" "the second make install failed"
cmp -s "$ETC/airlock.json" "$T/edited.json" || fail "the second install overwrote the edited airlock.json"
tail -n 1 "$ETC/guard-block.txt" | grep -qxF example.org ||
    fail "the second install overwrote the edited guard-block.txt"

# Uninstall: the programs go, the edited files stay, the untouched ones go.
run_make uninstall || fail_out "$T/make.log" "make uninstall failed"
for f in "$ROOT$sbindir/airlockd" "$ROOT$bindir/airlock" "$UNIT" "$ROOT$mandir/man8/airlockd.8" \
    "$ETC/guard-allow.txt" "$ETC/reference.json"; do
    [ ! -e "$f" ] || fail "still there after make uninstall: ${f#"$ROOT"}"
done
cmp -s "$ETC/airlock.json" "$T/edited.json" || fail "make uninstall removed the edited airlock.json"
[ -f "$ETC/guard-block.txt" ] || fail "make uninstall removed the edited guard-block.txt"
pass
