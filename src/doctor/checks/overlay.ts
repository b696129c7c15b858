// The overlay checks (issue 16), in the order their findings explain a failure: the tunnel never
// built, then the tunnel whose ends do not meet, then the receiver's mapping, then configuration.
import type { Check } from './check.ts';
import { tunnelEndpoints } from './tunnel-endpoints.ts';
import { tunnelKey } from './tunnel-key.ts';
import { tunnelMissing } from './tunnel-missing.ts';
import { tunnelRemote } from './tunnel-remote.ts';
import { tunnelTypes } from './tunnel-types.ts';
import { tunnelUnderlay } from './tunnel-underlay.ts';
import { tunnelVlanMap } from './tunnel-vlan-map.ts';

export const OVERLAY_CHECKS: readonly Check[] = [
  tunnelMissing,
  tunnelEndpoints,
  tunnelRemote,
  tunnelKey,
  tunnelVlanMap,
  tunnelUnderlay,
  tunnelTypes,
];
