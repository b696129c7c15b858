// The escapes OVS writes inside a quoted string (lib/json.c json_string_escape: ovs-vsctl show,
// ovsdb-client and ovs-vsctl list tables, port names in ovs-ofctl --names): \" \\ \/ \b \f \n \r
// \t, and \uXXXX for every other control character (a port named with ESC prints "\u001b").

const SIMPLE: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/**
 * The character the escape after a backslash at s[i] stands for, and where the text goes on.
 * Undefined at the end of s. An escape JSON does not have stands for its character (as before).
 */
export function readEscape(s: string, i: number): { ch: string; next: number } | undefined {
  const n = s[i];
  if (n === undefined) return undefined;
  if (n === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 1, i + 5)))
    return { ch: String.fromCharCode(Number.parseInt(s.slice(i + 1, i + 5), 16)), next: i + 5 };
  return { ch: SIMPLE[n] ?? n, next: i + 1 };
}
