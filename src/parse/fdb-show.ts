// `ovs-appctl fdb/show <br>`: NORMAL's MAC learning table (OpenFlow port, VLAN, MAC, age).
import { diag, ovsMessage, type Parsed, splitLines } from './diagnostics.ts';

export interface FdbEntry {
  port: number | 'LOCAL';
  vlan: number;
  mac: string;
  age: number;
  line: number;
}

const ROW = /^\s*(\d+|LOCAL)\s+(\d+)\s+([0-9a-f]{2}(?::[0-9a-f]{2}){5})\s+(\d+)\s*$/;

export function parseFdbShow(text: string): Parsed<FdbEntry[]> {
  const { lines, diagnostics } = splitLines(text);
  const out: FdbEntry[] = [];
  lines.forEach((l, i) => {
    if (/^\s*port\s+VLAN\s+MAC\s+Age\s*$/.test(l) || l.trim() === '') return;
    const m = ROW.exec(l);
    if (m) {
      out.push({
        port: m[1] === 'LOCAL' ? 'LOCAL' : Number(m[1]),
        vlan: Number(m[2]),
        mac: m[3]!,
        age: Number(m[4]),
        line: i + 1,
      });
      return;
    }
    const om = ovsMessage(l.trim(), i + 1);
    if (om) diagnostics.push(om);
    else diagnostics.push(diag('corrupt', i + 1, 'not-fdb', 'not an fdb/show line', l));
  });
  return { value: out, diagnostics };
}
