import pc from 'picocolors';

export interface Colors {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
}

/** Colours only on a terminal, never with --json or NO_COLOR. */
export function colors(enabled: boolean): Colors {
  const c = pc.createColors(enabled && !process.env.NO_COLOR && process.stdout.isTTY === true);
  return { bold: c.bold, dim: c.dim, red: c.red, yellow: c.yellow, green: c.green };
}
