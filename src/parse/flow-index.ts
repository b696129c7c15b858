// A big dump read as an index. Reading a 200k-flow dump whole costs seconds (issue 20), and a
// diagnosis looks at a few tables and, in the big ones, at the flows of the ports its packets come
// from. So a line is placed when the dump is read (where it is; its table and in_port, found by
// searching the text, not by parsing it; whether it learns) and its flow is parsed, and checked,
// when something asks for it. A line nothing asks for is never checked: the reader says so, and
// `vifpath snapshot` (which parses every line) is the way to check them all.
import { EXIT, VifpathError } from '../errors/errors.ts';
import { FlowSyntaxError } from '../openflow/errors.ts';
import { parseFlowAt, releaseFlowText } from '../openflow/flow.ts';
import { NextOccurrence, readingLinesInAnyOrder } from '../openflow/text.ts';
import type { Flow } from '../openflow/types.ts';
import { clip } from './diagnostics.ts';

/** Dumps at least this big are read as an index when the caller allows it (diagnose, trace). */
export const LAZY_DUMP_BYTES = 4 * 1024 * 1024;

/**
 * No in_port in the match; an in_port not written as a plain decimal port number (a name, LOCAL,
 * a reserved number): such a line can match any packet as far as the index knows.
 */
const NO_PORT = -1;
const NAMED_PORT = -2;
// The values the index files a line under; above them the parser judges (and may refuse) the line.
const MAX_TABLE = 254;
const MAX_PORT = 0xfeff;
const MAX_VID = 4095;

/** A flow line of the dump at a line that parsing refused: exit 2 naming the file and the line. */
export class LazyFlowError extends VifpathError {
  constructor(message: string, file: string, line: number) {
    super(message, EXIT.input, file, line);
  }
}

// What is kept per line, in typed columns (a 200k-line dump: 5 MB, nothing for the collector to walk).
const START = 0;
const END = 1;
const ACTIONS = 2;
const LINE = 3;
const TABLE = 4;
const PORT = 5;
const COLUMNS = 6;

export class FlowIndex<E> {
  private cols = new Int32Array(COLUMNS * 4096);
  private n = 0;
  /** The lines parsed so far, by place in the index. */
  private readonly entries = new Map<number, E>();
  /** Each table's lines, listed on first use. */
  private readonly tables = new Map<number, Int32Array>();
  private learners: number[] | undefined;
  private every: E[] | undefined;
  // Each searches the dump once in all, line after line (see NextOccurrence).
  private readonly TABLE_KEY = new NextOccurrence('table=');
  private readonly IN_PORT_KEY = new NextOccurrence('in_port=');
  private readonly QUOTE = new NextOccurrence('"');

  constructor(
    private readonly text: string,
    /** The file as the case names it (errors name it). */
    readonly file: string,
    private readonly entry: (flow: Flow, line: number) => E,
  ) {}

  get count(): number {
    return this.n;
  }

  get parsed(): number {
    return this.entries.size;
  }

  /**
   * Place the flow line text[s, e) (line `line`, `actions=` at `a`, after a blank or a comma or
   * at s: where parseFlowAt finds it) without parsing it. False when
   * its table is not written as a decimal number: the caller parses it now and calls addParsed.
   */
  add(s: number, e: number, a: number, line: number): boolean {
    // A quoted name may hold anything, `,table=7,` included: such a line is parsed now.
    if (this.QUOTE.indexWithin(this.text, s, a) >= 0) return false;
    const table = this.keyAt(this.TABLE_KEY, 6, MAX_TABLE, s, a);
    if (table === NAMED_PORT) return false;
    this.place(s, e, a, line, table === NO_PORT ? 0 : table);
    return true;
  }

  /** A line the reader parsed already (its table is the flow's). */
  addParsed(s: number, e: number, a: number, line: number, flow: Flow, entry: E): void {
    this.entries.set(this.n, entry);
    this.place(s, e, a, line, flow.table);
  }

  /**
   * The flows of `table`, or those a packet from OpenFlow port `inPort` can match there; with
   * `vlan` (its VLAN id, 0xffff untagged), without those whose dl_vlan is another.
   */
  table(table: number, inPort?: number, vlan?: number): E[] {
    const ids = this.linesOf(table);
    if (inPort === undefined) return this.parse(ids);
    const c = this.cols;
    const out: number[] = [];
    const DL_VLAN = new NextOccurrence('dl_vlan=');
    // The port's lines only are searched, each alone (most lines are other ports').
    readingLinesInAnyOrder(() => {
      for (const i of ids) {
        const k = i * COLUMNS;
        const p = c[k + PORT]!;
        if (p !== inPort && p >= 0) continue;
        if (vlan !== undefined) {
          const v =
            p === NAMED_PORT ? NO_PORT : this.keyAt(DL_VLAN, 8, MAX_VID, c[k + START]!, c[k + ACTIONS]!);
          if (v >= 0 && v !== vlan) continue;
        }
        out.push(i);
      }
    });
    return this.parse(out);
  }

  /** The flows with in_port=`port` as written, in any table, and those whose in_port is a name. */
  withInPort(port: string): E[] {
    const n = /^\d+$/.test(port) ? Number(port) : NAMED_PORT;
    const c = this.cols;
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) {
      const p = c[i * COLUMNS + PORT]!;
      if (p === n || p === NAMED_PORT) out.push(i);
    }
    return this.parse(out);
  }

  /** The flows with a learn() action (the dump searched once for them). */
  learning(): E[] {
    if (!this.learners) {
      const learn = new NextOccurrence('learn(');
      const c = this.cols;
      this.learners = [];
      for (let i = 0, k = 0; i < this.n; i++, k += COLUMNS)
        if (learn.indexWithin(this.text, c[k + ACTIONS]!, c[k + END]!) >= 0) this.learners.push(i);
    }
    return this.parse(this.learners);
  }

  has(table: number): boolean {
    return this.linesOf(table).length > 0;
  }

  /** The flows parsed so far, in dump order. */
  seen(): E[] {
    return [...this.entries.keys()].sort((x, y) => x - y).map((i) => this.entries.get(i)!);
  }

  /** Every flow, in dump order: the whole dump parsed. */
  all(): E[] {
    if (!this.every) this.every = this.parse(Array.from({ length: this.n }, (_, i) => i));
    return this.every;
  }

  private place(s: number, e: number, a: number, line: number, table: number): void {
    if ((this.n + 1) * COLUMNS > this.cols.length) {
      const more = new Int32Array(this.cols.length * 2);
      more.set(this.cols);
      this.cols = more;
    }
    const c = this.cols;
    const k = this.n * COLUMNS;
    c[k + START] = s;
    c[k + END] = e;
    c[k + ACTIONS] = a;
    c[k + LINE] = line;
    c[k + TABLE] = table;
    c[k + PORT] =
      this.QUOTE.indexWithin(this.text, s, a) >= 0
        ? NAMED_PORT
        : this.keyAt(this.IN_PORT_KEY, 8, MAX_PORT, s, a);
    this.n++;
  }

  private linesOf(table: number): Int32Array {
    let ids = this.tables.get(table);
    if (!ids) {
      const c = this.cols;
      let m = 0;
      for (let i = 0; i < this.n; i++) if (c[i * COLUMNS + TABLE] === table) m++;
      ids = new Int32Array(m);
      for (let i = 0, j = 0; i < this.n; i++) if (c[i * COLUMNS + TABLE] === table) ids[j++] = i;
      this.tables.set(table, ids);
    }
    return ids;
  }

  /**
   * The decimal value of `key=` in text[s, a) where a key starts (after a blank or a comma):
   * NO_PORT when absent, NAMED_PORT when its value is not a plain decimal number.
   */
  /**
   * The decimal value of `key=` in text[s, a) where a key starts (after a blank or a comma), at
   * most `max`: NO_PORT when absent, NAMED_PORT when written otherwise, too big, or given twice:
   * whatever is unusual is left to the parser (the line is then in every lookup, or parsed now).
   */
  private keyAt(key: NextOccurrence, width: number, max: number, s: number, a: number): number {
    const src = this.text;
    const k = key.indexWithin(src, s, a);
    if (k < 0) return NO_PORT;
    if (k > s) {
      const c = src.charCodeAt(k - 1);
      // Inside another key's name or value: not a plain key.
      if (c !== 32 && c !== 44) return NAMED_PORT;
    }
    let i = k + width;
    let v = 0;
    const from = i;
    for (; i < a; i++) {
      const c = src.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      if (v > max) return NAMED_PORT;
    }
    const c = src.charCodeAt(i);
    if (i === from || (i < a && c !== 44 && c !== 32)) return NAMED_PORT;
    if (key.indexWithin(src, i, a) >= 0) return NAMED_PORT;
    return v;
  }

  private parse(ids: ArrayLike<number>): E[] {
    const out: E[] = [];
    const at = (i: number): E => {
      let x = this.entries.get(i);
      if (x === undefined) {
        x = this.parseLine(i);
        this.entries.set(i, x);
      }
      return x;
    };
    // The whole dump: in order, as the reader would. A few lines: each searched alone.
    if (ids.length === this.n) {
      try {
        for (let k = 0; k < ids.length; k++) out.push(at(ids[k]!));
      } finally {
        releaseFlowText();
      }
    } else
      readingLinesInAnyOrder(() => {
        for (let k = 0; k < ids.length; k++) out.push(at(ids[k]!));
      });
    return out;
  }

  private parseLine(i: number): E {
    const k = i * COLUMNS;
    const s = this.cols[k + START]!;
    const e = this.cols[k + END]!;
    const line = this.cols[k + LINE]!;
    try {
      // Only add()'s lines get here: their `actions=` is the one parseFlowAt would find.
      return this.entry(parseFlowAt(this.text, s, e, this.cols[k + ACTIONS]!), line);
    } catch (err) {
      if (!(err instanceof FlowSyntaxError)) throw err;
      throw new LazyFlowError(
        `${err.message} [${clip(this.text.slice(s, e))}] (read when the trace reached it: \`vifpath snapshot\` lists every unreadable line)`,
        this.file,
        line,
      );
    }
  }
}
