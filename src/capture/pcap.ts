// pcap (both byte orders, µs and ns timestamps) and pcapng (SHB, IDB, EPB, SPB; several
// interfaces) readers: bytes in, frames out, with diagnostics for what is cut or malformed.
import { type Diagnostic, diag, type Parsed } from '../parse/diagnostics.ts';

export interface Frame {
  /** Seconds since the epoch, with fraction. */
  ts: number;
  linktype: number;
  /** Index of the capturing interface (pcapng), 0 for pcap. */
  iface: number;
  data: Uint8Array;
  /** Length on the wire (data may be shorter when the snap length cut it). */
  origLen: number;
  /** 1-based record number, the "line" of a binary file. */
  index: number;
}

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

/**
 * Receives each record where it lies in the file (`bytes[start, end)`), so a consumer that only
 * needs a few fields of each packet never makes a Frame or a view per packet.
 */
export interface RecordVisitor {
  record(
    bytes: Uint8Array,
    linktype: number,
    start: number,
    end: number,
    ts: number,
    origLen: number,
    iface: number,
    index: number,
  ): void;
}

/** A RecordVisitor that hands each record on as a Frame (a view of the record's bytes). */
export class FrameVisitor implements RecordVisitor {
  constructor(private readonly onFrame: (f: Frame) => void) {}
  record(
    bytes: Uint8Array,
    linktype: number,
    start: number,
    end: number,
    ts: number,
    origLen: number,
    iface: number,
    index: number,
  ): void {
    this.onFrame({ ts, linktype, iface, data: bytes.subarray(start, end), origLen, index });
  }
}

export function readCapture(input: Uint8Array): Parsed<Frame[]> {
  const frames: Frame[] = [];
  const diagnostics = scanCapture(input, new FrameVisitor((f) => frames.push(f)));
  return { value: frames, diagnostics };
}

/** Walk every record of a pcap or pcapng file; returns what is cut or malformed. */
export function scanCapture(input: Uint8Array, v: RecordVisitor): Diagnostic[] {
  // A plain Uint8Array view: subarrays of a Node Buffer are Buffers, several times costlier to make.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.length < 4) return [diag('corrupt', 0, 'empty', 'not a capture: shorter than any file header')];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLE = dv.getUint32(0, true);
  if (magicLE === 0x0a0d0d0a) return readPcapng(bytes, dv, v);
  return readPcap(bytes, dv, v);
}

function readPcap(bytes: Uint8Array, dv: DataView, v: RecordVisitor): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const m = dv.getUint32(0, true);
  let le: boolean;
  let nano: boolean;
  if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) {
    le = true;
    nano = m === 0xa1b23c4d;
  } else if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) {
    le = false;
    nano = m === 0x4d3cb2a1;
  } else return [diag('corrupt', 0, 'not-pcap', `unknown capture file magic 0x${m.toString(16)}`)];
  if (bytes.length < 24) return [diag('corrupt', 0, 'truncated', 'pcap file header cut off')];
  const linktype = dv.getUint32(20, le) & 0x0fffffff;
  let off = 24;
  let index = 0;
  while (off < bytes.length) {
    index++;
    if (off + 16 > bytes.length) {
      diagnostics.push(diag('corrupt', index, 'truncated', `record ${index}: header cut off at byte ${off}`));
      break;
    }
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    const orig = dv.getUint32(off + 12, le);
    if (incl > 262144 * 4) {
      diagnostics.push(
        diag('corrupt', index, 'bad-record', `record ${index}: captured length ${incl} is not plausible`),
      );
      break;
    }
    if (off + 16 + incl > bytes.length) {
      diagnostics.push(
        diag(
          'corrupt',
          index,
          'truncated',
          `record ${index}: ${incl} bytes announced, ${bytes.length - off - 16} present`,
        ),
      );
      break;
    }
    v.record(bytes, linktype, off + 16, off + 16 + incl, sec + frac / (nano ? 1e9 : 1e6), orig, 0, index);
    off += 16 + incl;
  }
  return diagnostics;
}

function readPcapng(bytes: Uint8Array, dv: DataView, v: RecordVisitor): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  let le = true;
  let off = 0;
  let index = 0;
  let ifaces: { linktype: number; tsres: number }[] = [];
  while (off < bytes.length) {
    index++;
    if (off + 12 > bytes.length) {
      diagnostics.push(diag('corrupt', index, 'truncated', `block ${index}: header cut off`));
      break;
    }
    const type = dv.getUint32(off, le);
    if (type === 0x0a0d0d0a) {
      const bom = dv.getUint32(off + 8, true);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else {
        diagnostics.push(
          diag('corrupt', index, 'bad-block', 'section header with an unknown byte-order magic'),
        );
        break;
      }
      ifaces = [];
    }
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0 || off + len > bytes.length) {
      diagnostics.push(
        diag(
          'corrupt',
          index,
          len < 12 || len % 4 ? 'bad-block' : 'truncated',
          `block ${index}: length ${len} ${off + len > bytes.length ? 'runs past the end of the file' : 'is invalid'}`,
        ),
      );
      break;
    }
    if (type === 1) {
      // Interface description: linktype, snaplen, options (if_tsresol = 9).
      let tsres = 1e-6;
      let o = off + 16;
      while (o + 4 <= off + len - 4) {
        const code = dv.getUint16(o, le);
        const olen = dv.getUint16(o + 2, le);
        if (code === 0) break;
        if (code === 9 && olen >= 1) {
          const v = bytes[o + 4]!;
          tsres = v & 0x80 ? 2 ** -(v & 0x7f) : 10 ** -(v & 0x7f);
        }
        o += 4 + olen + ((4 - (olen % 4)) % 4);
      }
      ifaces.push({ linktype: dv.getUint16(off + 8, le), tsres });
    } else if (type === 6 || type === 3) {
      const ifi = type === 6 ? dv.getUint32(off + 8, le) : 0;
      const iface = ifaces[ifi];
      if (!iface) {
        diagnostics.push(
          diag(
            'corrupt',
            index,
            'bad-block',
            `packet block ${index} names interface ${ifi}, which has no description`,
          ),
        );
      } else if (type === 6) {
        const hi = dv.getUint32(off + 12, le);
        const lo = dv.getUint32(off + 16, le);
        const incl = dv.getUint32(off + 20, le);
        const orig = dv.getUint32(off + 24, le);
        if (28 + incl > len - 4)
          diagnostics.push(diag('corrupt', index, 'bad-block', `block ${index}: packet runs past its block`));
        else
          v.record(
            bytes,
            iface.linktype,
            off + 28,
            off + 28 + incl,
            (hi * 2 ** 32 + lo) * iface.tsres,
            orig,
            ifi,
            index,
          );
      } else {
        const orig = dv.getUint32(off + 8, le);
        const incl = Math.min(orig, len - 16);
        v.record(bytes, iface.linktype, off + 12, off + 12 + incl, 0, orig, 0, index);
      }
    }
    off += len;
  }
  return diagnostics;
}

/** A classic little-endian pcap file (what tcpdump -w writes) from Ethernet frames. */
export function writePcap(
  frames: { ts: number; data: Uint8Array }[],
  linktype = LINKTYPE_ETHERNET,
): Uint8Array {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.data.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 262144, true);
  dv.setUint32(20, linktype, true);
  let off = 24;
  for (const f of frames) {
    const sec = Math.floor(f.ts);
    dv.setUint32(off, sec, true);
    dv.setUint32(off + 4, Math.round((f.ts - sec) * 1e6), true);
    dv.setUint32(off + 8, f.data.length, true);
    dv.setUint32(off + 12, f.data.length, true);
    out.set(f.data, off + 16);
    off += 16 + f.data.length;
  }
  return out;
}
