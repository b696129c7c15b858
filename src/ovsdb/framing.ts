// JSON-RPC over a byte stream (RFC 7047 §4): messages are JSON objects written back to back,
// with no length prefix or delimiter. A reader must find where each object ends across partial
// and concatenated reads. Scanning bytes is safe for UTF-8: no byte of a multi-byte sequence
// equals an ASCII brace, quote or backslash.

export class FramingError extends Error {}

/**
 * The most bytes one message may take before it ends (a peer trickling an endless string or an
 * endless value hits this, and the connection is closed): 64 MiB, far above any Open_vSwitch
 * database's monitor reply. ClientOptions.maxMessageBytes overrides it.
 */
export const OVSDB_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** The deepest nesting of brackets in one message (OVSDB's own need ~10 levels). */
export const OVSDB_MAX_DEPTH = 128;

const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACK = 0x5b;
const RBRACK = 0x5d;
const QUOTE = 0x22;
const BSLASH = 0x5c;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export class JsonStreamSplitter {
  private chunks: Buffer[] = [];
  private size = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private started = false;
  /** The most bytes of an unfinished message ever held at once. */
  highWater = 0;

  /** maxMessage: a peer that never closes its object cannot make us buffer without bound. */
  constructor(
    private readonly maxMessage = OVSDB_MAX_MESSAGE_BYTES,
    private readonly maxDepth = OVSDB_MAX_DEPTH,
  ) {}

  /** Feed bytes; returns the complete messages' texts in order. Throws FramingError on garbage. */
  push(data: Buffer): string[] {
    const out: string[] = [];
    let from = 0;
    for (let i = 0; i < data.length; i++) {
      const b = data[i]!;
      if (!this.started) {
        if (isSpace(b)) {
          from = i + 1;
          continue;
        }
        if (b !== LBRACE)
          throw new FramingError(
            `expected a JSON object, got byte 0x${b.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(b))})`,
          );
        this.started = true;
        from = i;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === LBRACE || b === LBRACK) {
        if (++this.depth > this.maxDepth)
          throw new FramingError(`message nested deeper than OVSDB_MAX_DEPTH (${this.maxDepth})`);
      } else if (b === RBRACE || b === RBRACK) {
        this.depth--;
        if (this.depth < 0) throw new FramingError('unbalanced closing bracket');
        if (this.depth === 0) {
          const piece = data.subarray(from, i + 1);
          if (this.size + piece.length > this.maxMessage) throw this.tooBig();
          const whole = this.chunks.length ? Buffer.concat([...this.chunks, piece]) : piece;
          out.push(whole.toString('utf8'));
          this.chunks = [];
          this.size = 0;
          this.started = false;
          from = i + 1;
        }
      }
    }
    if (this.started && from < data.length) {
      const rest = data.subarray(from);
      // Checked before keeping anything: what is held never exceeds the limit.
      if (this.size + rest.length > this.maxMessage) throw this.tooBig();
      this.size += rest.length;
      this.highWater = Math.max(this.highWater, this.size);
      // Copy: the caller may reuse its buffer.
      this.chunks.push(Buffer.from(rest));
    }
    return out;
  }

  private tooBig(): FramingError {
    return new FramingError(`message larger than OVSDB_MAX_MESSAGE_BYTES (${this.maxMessage} bytes)`);
  }

  /** Bytes of an unfinished message (at close time: a truncated message). */
  get pending(): number {
    return this.size;
  }
}
