import { EXIT, VifpathError } from '../errors/errors.ts';

/** Input vifpath cannot use: a corrupt file, a missing directory. The CLI prints it on one line, exit 2. */
export class InputError extends VifpathError {
  constructor(message: string, file?: string, line?: number) {
    super(message, EXIT.input, file, line);
  }
}
