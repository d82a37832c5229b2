/** One status line per second: rewritten in place on a terminal, appended otherwise. */
export class Progress {
  #open = false;
  readonly #tty = process.stdout.isTTY === true;

  update(line: string): void {
    if (this.#tty) {
      process.stdout.write(`\r\x1b[2K  ${line}`);
      this.#open = true;
    } else {
      process.stdout.write(`  ${line}\n`);
    }
  }

  /** Ends the status line (keeps it) before normal output resumes. */
  done(): void {
    if (this.#open) process.stdout.write('\n');
    this.#open = false;
  }

  log(line: string): void {
    this.done();
    console.log(line);
  }
}
