import { Writable } from 'node:stream';
import { runLogSummaries, type RunLine } from '@orrery/scheduling';
import { createLogger, type LogFormat } from '@orrery/service-kit';
import { describe, expect, it } from 'vitest';

/** Embedded mode's logger (as main builds it), writing into a string. */
function embeddedLogger(format: LogFormat) {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const log = createLogger('orrery', 'info', { format, destination, summaries: runLogSummaries });
  return { log, text: () => text };
}

const cascadeRun: RunLine = {
  endpoint: 'demo-pack',
  run: 'cascade-7',
  status: 200,
  ok: true,
  durationMs: 4,
  latenessMs: 12,
  reason: 'cascade',
  cascadeFrom: 'demo-orders',
};

describe('the run lines of embedded mode', () => {
  it('pretty: one short line with the endpoint, outcome, lateness and reason', () => {
    const { log, text } = embeddedLogger('pretty');
    log.info(cascadeRun, 'run recorded');

    expect(text()).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: run demo-pack 200 ok · 12 ms late · cascade from demo-orders\n$/,
    );
  });

  it('JSON: the same facts as fields', () => {
    const { log, text } = embeddedLogger('json');
    log.info(cascadeRun, 'run recorded');

    expect(JSON.parse(text())).toMatchObject({
      msg: 'run recorded',
      service: 'orrery',
      endpoint: 'demo-pack',
      status: 200,
      ok: true,
      latenessMs: 12,
      reason: 'cascade',
      cascadeFrom: 'demo-orders',
    });
  });
});
