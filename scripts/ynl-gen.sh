#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The kernel side of the trn_link generic netlink family from its YAML spec,
# with the kernel's own generator (tools/net/ynl/ynl-gen-c.py of the pinned
# linux-source, fetched by scripts/deps.sh kernel).
#
#   scripts/ynl-gen.sh            write kernel/trn_link_nl.[ch]
#   scripts/ynl-gen.sh --check    validate the spec against its genetlink
#                                 schema, generate into a temporary directory
#                                 and fail if the committed files differ
#
# Needs YNL_GEN (the generator) and NETLINK_SCHEMAS (Documentation/netlink of
# the same source) in the environment, as the Makefile passes them, and a
# python3 with the yaml and jsonschema modules (PYTHON, default
# /usr/bin/python3: Debian's python3-yaml and python3-jsonschema).
#
# The generated files are committed, as in the kernel; only the policy and
# op tables are generated: the family itself, and the uapi header
# include/uapi/linux/trn_link.h, are written by hand (a genetlink-c family
# defines its struct genl_family in the driver).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
SPEC=Documentation/netlink/specs/trn_link.yaml
OUT=kernel/trn_link_nl

die() { printf 'ynl-gen: %s\n' "$*" >&2; exit 1; }

[ -n "${YNL_GEN:-}" ] && [ -f "$YNL_GEN" ] ||
	die "YNL_GEN is not set or missing: run 'make deps'"
[ -n "${NETLINK_SCHEMAS:-}" ] && [ -d "$NETLINK_SCHEMAS" ] ||
	die "NETLINK_SCHEMAS is not set or missing: run 'make deps'"
"$PYTHON" -c 'import yaml, jsonschema' 2> /dev/null ||
	die "$PYTHON lacks the yaml or jsonschema module (Debian: python3-yaml python3-jsonschema)"

check=
case "${1:-}" in
--check) check=1 ;;
"") ;;
*) die "usage: $0 [--check]" ;;
esac

# ynl-gen finds the schema next to the spec's directory and names the spec
# by its path below the nearest directory holding MAINTAINERS: give it a
# tree of that shape.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/Documentation/netlink/specs"
: > "$tmp/MAINTAINERS"
cp "$TOP/$SPEC" "$tmp/$SPEC"
proto=$(sed -n 's/^protocol: *//p' "$TOP/$SPEC")
schema=$NETLINK_SCHEMAS/${proto:-genetlink}.yaml
[ -f "$schema" ] || die "no schema $schema for protocol '${proto:-genetlink}'"
cp "$schema" "$tmp/Documentation/netlink/"

# The generator validates too; this names the file and the failing rule.
"$PYTHON" - "$TOP/$SPEC" "$schema" <<'EOF' || die "$SPEC does not follow $(basename "$schema")"
import sys, yaml, jsonschema
with open(sys.argv[1]) as s, open(sys.argv[2]) as f:
    jsonschema.validate(yaml.safe_load(s), yaml.safe_load(f))
EOF

for kind in header source; do
	ext=h
	[ $kind = source ] && ext=c
	"$PYTHON" "$YNL_GEN" --mode kernel --"$kind" --spec "$tmp/$SPEC" \
		-o "$tmp/$(basename "$OUT").$ext" > /dev/null
done

status=0
for ext in h c; do
	gen=$tmp/$(basename "$OUT").$ext
	if [ -n "$check" ]; then
		diff -u "$TOP/$OUT.$ext" "$gen" ||
			{ echo "ynl-gen: $OUT.$ext is stale: run 'make ynl-gen'" >&2; status=1; }
	else
		cmp -s "$gen" "$TOP/$OUT.$ext" || cp "$gen" "$TOP/$OUT.$ext"
	fi
done
exit $status
