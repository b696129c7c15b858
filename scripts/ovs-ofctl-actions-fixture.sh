#!/bin/sh
# Regenerates src/openflow/fixtures/ovs-ofctl-actions.txt: every input line through the real
# `ovs-ofctl parse-flow` in OpenFlow 1.0, 1.1, 1.3 and 1.5; what ovs-ofctl prints (deduplicated) is the fixture.
set -eu
dir=$(dirname "$0")/../src/openflow/fixtures
{
  sed -n '1,3p' "$dir/ovs-ofctl-actions.txt"
  for p in OpenFlow10 OpenFlow11 OpenFlow13 OpenFlow15; do
    while IFS= read -r l; do
      ovs-ofctl -O "$p" parse-flow "$l" 2>&1 | sed -n 's/^[A-Z]*_FLOW_MOD.*: ADD //p' || true
    done <"$dir/ovs-ofctl-actions.input.txt"
  done | sort -u
} >"$dir/ovs-ofctl-actions.txt.new"
mv "$dir/ovs-ofctl-actions.txt.new" "$dir/ovs-ofctl-actions.txt"
