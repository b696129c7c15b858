// pcap (both byte orders, µs and ns timestamps) and pcapng (SHB, IDB, EPB, SPB; several
// interfaces) readers: bytes in, frames out, with diagnostics for what is cut or malformed.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { EXIT, VifpathError } from '../errors/errors.ts';
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

/** Largest pcapng block read (a packet is at most 256 KiB; options add little). */
export const CAPTURE_MAX_BLOCK_BYTES = 16 * 1024 * 1024;
/** Bytes of a capture file held at once while it is read from disk. */
const FILE_WINDOW_BYTES = 4 * 1024 * 1024;

/**
 * The bytes of a capture, whole in memory or a window sliding over a file: `ensure(off, n)` makes
 * file bytes [off, off + n) readable at `buf[off - base]` (false past the end of the file).
 */
class Window {
  buf: Uint8Array;
  dv: DataView;
  base = 0;
  private len: number;
  constructor(
    buf: Uint8Array,
    readonly size: number,
    private readonly fd?: number,
  ) {
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.len = fd === undefined ? buf.length : 0;
  }
  ensure(off: number, n: number): boolean {
    if (off + n > this.size) return false;
    if (off >= this.base && off + n <= this.base + this.len) return true;
    if (this.fd === undefined) return false;
    if (n > this.buf.length) {
      const bigger = new Uint8Array(n);
      this.buf = bigger;
      this.dv = new DataView(bigger.buffer);
      this.len = 0;
    }
    // Keep what is already read past `off`, read the rest.
    let kept = 0;
    if (off >= this.base && off < this.base + this.len) {
      kept = this.base + this.len - off;
      this.buf.copyWithin(0, off - this.base, this.base + this.len);
    }
    this.base = off;
    this.len = kept;
    const want = Math.min(this.buf.length, this.size - off);
    while (this.len < want) {
      const got = readSync(this.fd, this.buf, this.len, want - this.len, off + this.len);
      if (got === 0) break;
      this.len += got;
    }
    return off + n <= this.base + this.len;
  }
}

/** Walk every record of a pcap or pcapng file; returns what is cut or malformed. */
export function scanCapture(input: Uint8Array, v: RecordVisitor): Diagnostic[] {
  // A plain Uint8Array view: subarrays of a Node Buffer are Buffers, several times costlier to make.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  return scanWindow(new Window(bytes, bytes.length), v);
}

/**
 * scanCapture on a file read piece by piece: memory stays at a few MiB whatever the file's size.
 * The bytes a visitor is handed are valid during its call only.
 */
export function scanCaptureFile(path: string, v: RecordVisitor): Diagnostic[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new VifpathError(`cannot read the capture: ${(e as Error).message}`, EXIT.input, path);
  }
  try {
    const size = fstatSync(fd).size;
    return scanWindow(
      new Window(new Uint8Array(Math.min(FILE_WINDOW_BYTES, Math.max(size, 1))), size, fd),
      v,
    );
  } finally {
    closeSync(fd);
  }
}

function scanWindow(w: Window, v: RecordVisitor): Diagnostic[] {
  if (!w.ensure(0, 4)) return [diag('corrupt', 0, 'empty', 'not a capture: shorter than any file header')];
  const magicLE = w.dv.getUint32(0, true);
  if (magicLE === 0x0a0d0d0a) return readPcapng(w, v);
  return readPcap(w, v);
}

function readPcap(w: Window, v: RecordVisitor): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const m = w.dv.getUint32(0, true);
  let le: boolean;
  let nano: boolean;
  if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) {
    le = true;
    nano = m === 0xa1b23c4d;
  } else if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) {
    le = false;
    nano = m === 0x4d3cb2a1;
  } else return [diag('corrupt', 0, 'not-pcap', `unknown capture file magic 0x${m.toString(16)}`)];
  if (!w.ensure(0, 24)) return [diag('corrupt', 0, 'truncated', 'pcap file header cut off')];
  const linktype = w.dv.getUint32(20, le) & 0x0fffffff;
  let off = 24;
  let index = 0;
  while (off < w.size) {
    index++;
    if (!w.ensure(off, 16)) {
      diagnostics.push(diag('corrupt', index, 'truncated', `record ${index}: header cut off at byte ${off}`));
      break;
    }
    let at = off - w.base;
    const sec = w.dv.getUint32(at, le);
    const frac = w.dv.getUint32(at + 4, le);
    const incl = w.dv.getUint32(at + 8, le);
    const orig = w.dv.getUint32(at + 12, le);
    if (incl > 262144 * 4) {
      diagnostics.push(
        diag('corrupt', index, 'bad-record', `record ${index}: captured length ${incl} is not plausible`),
      );
      break;
    }
    if (!w.ensure(off, 16 + incl)) {
      diagnostics.push(
        diag(
          'corrupt',
          index,
          'truncated',
          `record ${index}: ${incl} bytes announced, ${w.size - off - 16} present`,
        ),
      );
      break;
    }
    at = off - w.base;
    v.record(w.buf, linktype, at + 16, at + 16 + incl, sec + frac / (nano ? 1e9 : 1e6), orig, 0, index);
    off += 16 + incl;
  }
  return diagnostics;
}

function readPcapng(w: Window, v: RecordVisitor): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  let le = true;
  let off = 0;
  let index = 0;
  let ifaces: { linktype: number; tsres: number }[] = [];
  while (off < w.size) {
    index++;
    if (!w.ensure(off, 12)) {
      diagnostics.push(diag('corrupt', index, 'truncated', `block ${index}: header cut off`));
      break;
    }
    let at = off - w.base;
    const type = w.dv.getUint32(at, le);
    if (type === 0x0a0d0d0a) {
      const bom = w.dv.getUint32(at + 8, true);
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
    const len = w.dv.getUint32(at + 4, le);
    if (len < 12 || len % 4 !== 0 || off + len > w.size) {
      diagnostics.push(
        diag(
          'corrupt',
          index,
          len < 12 || len % 4 ? 'bad-block' : 'truncated',
          `block ${index}: length ${len} ${off + len > w.size ? 'runs past the end of the file' : 'is invalid'}`,
        ),
      );
      break;
    }
    if (len > CAPTURE_MAX_BLOCK_BYTES) {
      diagnostics.push(
        diag(
          'corrupt',
          index,
          'limit',
          `block ${index}: length ${len} is over the ${CAPTURE_MAX_BLOCK_BYTES}-byte limit on a pcapng block (CAPTURE_MAX_BLOCK_BYTES); no packet is that large: the file is damaged`,
        ),
      );
      break;
    }
    if (!w.ensure(off, len)) {
      diagnostics.push(diag('corrupt', index, 'truncated', `block ${index}: cut off`));
      break;
    }
    at = off - w.base;
    const dv = w.dv;
    if (type === 1) {
      // Interface description: linktype, snaplen, options (if_tsresol = 9).
      let tsres = 1e-6;
      let o = at + 16;
      while (o + 4 <= at + len - 4) {
        const code = dv.getUint16(o, le);
        const olen = dv.getUint16(o + 2, le);
        if (code === 0) break;
        if (code === 9 && olen >= 1) {
          const v = w.buf[o + 4]!;
          tsres = v & 0x80 ? 2 ** -(v & 0x7f) : 10 ** -(v & 0x7f);
        }
        o += 4 + olen + ((4 - (olen % 4)) % 4);
      }
      ifaces.push({ linktype: dv.getUint16(at + 8, le), tsres });
    } else if (type === 6 || type === 3) {
      const ifi = type === 6 ? dv.getUint32(at + 8, le) : 0;
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
        const hi = dv.getUint32(at + 12, le);
        const lo = dv.getUint32(at + 16, le);
        const incl = dv.getUint32(at + 20, le);
        const orig = dv.getUint32(at + 24, le);
        if (28 + incl > len - 4)
          diagnostics.push(diag('corrupt', index, 'bad-block', `block ${index}: packet runs past its block`));
        else
          v.record(
            w.buf,
            iface.linktype,
            at + 28,
            at + 28 + incl,
            (hi * 2 ** 32 + lo) * iface.tsres,
            orig,
            ifi,
            index,
          );
      } else {
        const orig = dv.getUint32(at + 8, le);
        const incl = Math.min(orig, len - 16);
        v.record(w.buf, iface.linktype, at + 12, at + 12 + incl, 0, orig, 0, index);
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
