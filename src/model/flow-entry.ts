// A dumped flow as the Snapshot keeps it: the parsed flow and where it was read. The line's text is
// not kept (on a 200k-flow dump it and the file it points into cost a third of the snapshot): it is
// printed back from the flow when asked, which gives what OVS printed (parseFlow ∘ formatFlow is the
// identity on ovs-ofctl's output); the file and line say where the original is. `from` is made on
// demand from the file every entry of a dump shares.
import { formatFlow } from '../openflow/flow.ts';
import type { Flow } from '../openflow/types.ts';
import type { Evidence } from './evidence.ts';
import type { FlowEntry } from './snapshot.ts';

export class DumpEntry implements FlowEntry {
  constructor(
    readonly flow: Flow,
    readonly file: string,
    readonly line: number,
  ) {}

  /** The flow as ovs-ofctl prints it, without the line's indentation. */
  get text(): string {
    return formatFlow(this.flow);
  }

  get from(): Evidence {
    return { file: this.file, line: this.line };
  }

  /** The JSON of a plain FlowEntry (`snapshot --json` is unchanged). */
  toJSON(): { flow: Flow; text: string; from: Evidence } {
    return { flow: this.flow, text: this.text, from: this.from };
  }
}

/**
 * The last line of a dump without its final newline, read as a flow: the output may have been cut
 * there, at a boundary that still parses (`…,output:2` of `…,output:2,output:3`). Nothing that
 * rests on what it does not say is proven.
 */
export class CutDumpEntry extends DumpEntry {
  readonly maybeCut = true;
}
