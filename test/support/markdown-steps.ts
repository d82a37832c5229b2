/**
 * The runnable steps of a markdown guide: each fenced ```sh block preceded by a
 * `<!-- test: <step> -->` comment (blank lines between the two are allowed). Blocks without one
 * (`npm start`, `docker compose …`) are shown to the reader and never run.
 */
export interface GuideStep {
  /** The name in the comment: how a test finds the step, whatever the commands say. */
  readonly name: string;
  /** The block's commands in order: comments and blank lines dropped, `\` continuations joined. */
  readonly commands: readonly string[];
  /** The 1-based line of the comment, for failure messages. */
  readonly line: number;
}

const MARKER = /^<!--\s*test:\s*([a-z0-9-]+)\s*-->$/;
const FENCE = /^(`{3,}|~{3,})\s*(\S*)/;

export function guideSteps(markdown: string): GuideStep[] {
  const lines = markdown.split('\n');
  const steps: GuideStep[] = [];
  for (let i = 0; i < lines.length; i++) {
    const name = MARKER.exec(lines[i]?.trim() ?? '')?.[1];
    if (!name) continue;
    let open = i + 1;
    while (open < lines.length && lines[open]?.trim() === '') open++;
    const fence = FENCE.exec(lines[open] ?? '');
    if (!fence || fence[2] !== 'sh') {
      throw new Error(`line ${i + 1}: <!-- test: ${name} --> must be followed by a \`\`\`sh block`);
    }
    const body: string[] = [];
    let close = open + 1;
    while (close < lines.length && !(lines[close] ?? '').startsWith(fence[1] ?? '```')) {
      body.push(lines[close] ?? '');
      close++;
    }
    if (close === lines.length) throw new Error(`line ${open + 1}: unclosed code block`);
    if (steps.some((step) => step.name === name)) {
      throw new Error(`line ${i + 1}: step ${name} is marked twice`);
    }
    steps.push({ name, commands: commandsOf(body), line: i + 1 });
    i = close;
  }
  return steps;
}

/** Shell lines as commands: a line ending in `\` continues on the next; comments are dropped. */
function commandsOf(body: readonly string[]): string[] {
  const commands: string[] = [];
  let pending = '';
  let quoted = false;
  for (const line of body) {
    if (!pending && !quoted && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    pending += (pending ? '\n' : '') + line;
    // A single-quoted argument may span lines (a JSON body): the command ends where quotes balance.
    quoted = (pending.match(/'/g) ?? []).length % 2 === 1;
    if (quoted || line.endsWith('\\')) continue;
    commands.push(pending);
    pending = '';
  }
  if (pending) commands.push(pending);
  return commands;
}
