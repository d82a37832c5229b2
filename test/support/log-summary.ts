/**
 * What a service logged at warn level or above between `from` and `to` (epoch ms, pino's
 * `time`), as `message ×count` in order of first appearance; lines that are not pino JSON
 * (a stack trace on stderr) count under their own text.
 */
export function problemsBetween(lines: readonly string[], from: number, to: number): string[] {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const entry = parse(line);
    if (entry && (entry.time < from || entry.time > to || entry.level < 40)) continue;
    const message = entry ? entry.msg : line.slice(0, 120);
    counts.set(message, (counts.get(message) ?? 0) + 1);
  }
  return [...counts].map(([message, count]) => `${message} ×${count}`);
}

function parse(line: string): { time: number; level: number; msg: string } | null {
  // A pino line starts with its level and time and ends with its message; a long one (an error
  // with its stack) may have been cut, so read the fields rather than parse the JSON.
  const head = /^\{"level":(\d+),"time":(\d+)/.exec(line);
  if (!head) return null;
  const msg = /"msg":"((?:[^"\\]|\\.)*)"\}?$/.exec(line)?.[1];
  const error = /"message":"((?:[^"\\]|\\.){0,80})/.exec(line)?.[1];
  return {
    level: Number(head[1]),
    time: Number(head[2]),
    msg: msg ?? `(line cut) ${error ?? line.slice(0, 80)}`,
  };
}
