// JSON-RPC over a byte stream (RFC 7047 §4): messages are JSON objects written back to back,
// with no length prefix or delimiter. A reader must find where each object ends across partial
// and concatenated reads. Scanning bytes is safe for UTF-8: no byte of a multi-byte sequence
// equals an ASCII brace, quote or backslash.

export class FramingError extends Error {}

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

  /** maxMessage: a peer that never closes its object cannot make us buffer without bound. */
  constructor(private readonly maxMessage = 64 * 1024 * 1024) {}

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
      else if (b === LBRACE || b === LBRACK) this.depth++;
      else if (b === RBRACE || b === RBRACK) {
        this.depth--;
        if (this.depth < 0) throw new FramingError('unbalanced closing bracket');
        if (this.depth === 0) {
          const piece = data.subarray(from, i + 1);
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
      this.size += rest.length;
      if (this.size > this.maxMessage)
        throw new FramingError(`message larger than ${this.maxMessage} bytes without ending`);
      // Copy: the caller may reuse its buffer.
      this.chunks.push(Buffer.from(rest));
    }
    return out;
  }

  /** Bytes of an unfinished message (at close time: a truncated message). */
  get pending(): number {
    return this.size;
  }
}
