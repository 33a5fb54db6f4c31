#!/bin/sh
# The golden files of `airlock policy render`: every artifact rendered from
# zones/reference.json, which tests/unit/test_render compares byte for
# byte.  Regenerate them only on purpose (a renderer or the reference
# catalog changed), then review the diff before committing:
#
#   tests/golden/regen.sh BUILD/src/airlock          rewrite the files
#   tests/golden/regen.sh --check BUILD/src/airlock  compare only (exit 1 on a difference)
#
# Run from anywhere; the files are found next to this script.
set -eu
check=false
if [ "${1:-}" = "--check" ]; then
	check=true
	shift
fi
[ $# -eq 1 ] && [ -x "$1" ] || { echo "usage: $0 [--check] PATH/TO/airlock" >&2; exit 2; }
airlock=$1
golden=$(cd "$(dirname "$0")" && pwd)
ref=$golden/../../zones/reference.json
work=$(mktemp -d "${TMPDIR:-/tmp}/airlock-golden-XXXXXX")
trap 'rm -rf "$work"' EXIT

"$airlock" policy render -c "$ref" --target aws --out "$work" >/dev/null
"$airlock" policy render -c "$ref" --target aws --format terraform --out "$work" >/dev/null
"$airlock" policy render -c "$ref" --target azure --out "$work" >/dev/null
"$airlock" policy render -c "$ref" --target gcp --out "$work" >/dev/null

status=0
for f in "$work"/*; do
	name=$(basename "$f")
	if $check; then
		cmp -s "$f" "$golden/$name" || { echo "differs: tests/golden/$name" >&2; status=1; }
	elif ! cmp -s "$f" "$golden/$name"; then
		cp "$f" "$golden/$name"
		echo "rewrote tests/golden/$name"
	fi
done
exit $status
