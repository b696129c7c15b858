"""Peer for bench/parse.ts: parse every line of a --no-stats dump with OVS's own python ovs.flow
(Debian python3-openvswitch) and print the time taken (the best of 3 runs), as JSON."""
import json
import sys
import time

from ovs.flow.ofp import OFPFlow

lines = [l for l in open(sys.argv[1]).read().split("\n") if "actions=" in l]
# Best of 3, as vifpath's side is a best of 7: a run can fall in a noisy spell of the machine.
best = None
for _ in range(3):
    t0 = time.perf_counter()
    n_actions = 0
    for l in lines:
        f = OFPFlow(l)
        n_actions += len(f.actions)
    dt = time.perf_counter() - t0
    best = dt if best is None else min(best, dt)
print(json.dumps({"flows": len(lines), "seconds": best, "actions": n_actions, "runs": 3}))
