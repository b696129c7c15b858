// Where a fact came from, and facts that are known or explicitly unknown (never guessed).

export interface Evidence {
  /** Path relative to the case directory (or a live source such as `ssh://dom0 ovs-vsctl show`). */
  file: string;
  /** 1-based line; 0 for the file as a whole. */
  line: number;
}

export type Fact<T> = { known: true; value: T; from: Evidence[] } | { known: false; why: string };

export function known<T>(value: T, ...from: Evidence[]): Fact<T> {
  return { known: true, value, from };
}

export function unknown<T>(why: string): Fact<T> {
  return { known: false, why };
}

export function ev(file: string, line: number): Evidence {
  return { file, line };
}

export function where(e: Evidence): string {
  return e.line > 0 ? `${e.file}:${e.line}` : e.file;
}
