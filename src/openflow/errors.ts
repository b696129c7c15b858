import { VifpathError } from '../errors/errors.ts';

/** A flow text that is not valid flow syntax. `column` is 1-based within the flow text when known. */
export class FlowSyntaxError extends VifpathError {
  constructor(
    message: string,
    readonly text: string,
    readonly column?: number,
  ) {
    super(message);
  }
}

export function syntaxError(message: string, text: string): never {
  throw new FlowSyntaxError(message, text);
}
