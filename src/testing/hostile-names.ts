// Port and bridge names an attacker (or an unlucky operator) can put in OVSDB: shell syntax,
// quotes, control characters, non-ASCII, option look-alikes and very long names. Every test
// that moves names between processes uses this one list.
export const HOSTILE_NAMES: readonly string[] = [
  ';rm -rf /',
  '$(reboot)',
  '`id`',
  'we"ird',
  'back\\slash',
  'sp ace',
  "it's",
  'new\nline',
  'tab\there',
  'ünïcødé-pørt-名前',
  '-n',
  '--help',
  'x'.repeat(255),
];
