import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';

/**
 * The ids of the span active where a line is logged (`trace_id`, `span_id`, `trace_flags` as
 * in the W3C `traceparent`), so a log line finds its trace; nothing outside a span. Without an
 * OpenTelemetry SDK nothing is ever active and this costs one lookup per line.
 */
export function traceFields(): Readonly<Record<string, string>> {
  const span = trace.getSpan(context.active());
  if (span === undefined) return {}; // a new object: pino merges the line's fields into it
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!isSpanContextValid({ traceId, spanId, traceFlags })) return {};
  return {
    trace_id: traceId,
    span_id: spanId,
    trace_flags: (traceFlags & 0xff).toString(16).padStart(2, '0'),
  };
}

/** `json`: one JSON object a line. `pretty`: one human-readable line (time, level, message, fields). */
export type LogFormat = 'json' | 'pretty';

/** A line's whole pretty rendering, from its fields (the parsed JSON line). */
export type LineSummary = (line: Readonly<Record<string, unknown>>) => string;

export interface LoggerOptions {
  /** `LOG_FORMAT`; unset: pretty when the output is a terminal, JSON otherwise. */
  readonly format?: LogFormat;
  /** Where lines go. Default: stdout, written synchronously (nothing is lost at exit). */
  readonly destination?: DestinationStream;
  /**
   * Pretty only: lines whose message is a key here are written as the summary it returns
   * (after the time and level) instead of the message and fields, e.g. one short line per run.
   */
  readonly summaries?: Readonly<Record<string, LineSummary>>;
}

/** The format a logger writes: the one asked for, else pretty for a person at a terminal. */
export function chooseLogFormat(asked: LogFormat | undefined, isTTY: boolean): LogFormat {
  return asked ?? (isTTY ? 'pretty' : 'json');
}

/**
 * Logs of one service, named (pino). JSON by default when not at a terminal: a line logged
 * inside an active span carries its `trace_id`, `span_id` and `trace_flags` (see
 * {@link traceFields}). Pretty lines leave out what a person watching one process does not
 * need (pid, hostname, service, trace ids).
 *
 * @example
 * const log = createLogger('orrery', config.LOG_LEVEL, { format: config.LOG_FORMAT });
 */
export function createLogger(service: string, level: string, options: LoggerOptions = {}): Logger {
  const pinoOptions = {
    name: service,
    level,
    base: { service, pid: process.pid },
    mixin: traceFields,
  };
  const format = chooseLogFormat(
    options.format,
    options.destination === undefined && process.stdout.isTTY,
  );
  const out = options.destination ?? pino.destination({ dest: 1, sync: true });
  if (format === 'json') return pino(pinoOptions, out);
  return pino(pinoOptions, prettyStream(out, options));
}

const HIDDEN_WHEN_PRETTY = 'pid,hostname,name,service,trace_id,span_id,trace_flags';

/**
 * pino-pretty's formatter in front of `out`, in the logging call itself: no worker thread and
 * no stream pipeline, so a line logged just before `process.exit` is written.
 */
function prettyStream(out: DestinationStream, options: LoggerOptions): DestinationStream {
  const pretty = prettyFactory({
    ignore: HIDDEN_WHEN_PRETTY,
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    // Colours for a terminal (pino-pretty's own check, which honours NO_COLOR); none elsewhere.
    ...(options.destination === undefined ? {} : { colorize: false }),
  });
  const summaries = options.summaries ?? {};
  return {
    write(line: string) {
      const fields = JSON.parse(line) as Record<string, unknown>;
      const summary = typeof fields['msg'] === 'string' ? summaries[fields['msg']] : undefined;
      const { time, level } = fields;
      out.write(pretty(summary ? { time, level, msg: summary(fields) } : fields));
    },
  };
}
