"""Peer for bench/parse.ts: parse every line of a --no-stats dump with OVS's own python ovs.flow
(Debian python3-openvswitch) and print the time taken, as JSON."""
import json
import sys
import time

from ovs.flow.ofp import OFPFlow

lines = [l for l in open(sys.argv[1]).read().split("\n") if "actions=" in l]
t0 = time.perf_counter()
n_actions = 0
for l in lines:
    f = OFPFlow(l)
    n_actions += len(f.actions)
dt = time.perf_counter() - t0
print(json.dumps({"flows": len(lines), "seconds": dt, "actions": n_actions}))
