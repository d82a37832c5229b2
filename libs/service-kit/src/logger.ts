import pino, { type Logger } from 'pino';

/** Structured JSON logs (pino), one logger per service, named. */
export function createLogger(service: string, level: string): Logger {
  return pino({ name: service, level, base: { service, pid: process.pid } });
}
