/** Input vifpath cannot use: a corrupt file, a missing directory. The CLI prints it on one line, exit 2. */
export class InputError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'InputError';
  }

  /** `file:line: message` */
  oneLine(): string {
    if (!this.file) return this.message;
    return `${this.file}${this.line ? `:${this.line}` : ''}: ${this.message}`;
  }
}
