/**
 * A loopback OTLP/HTTP trace receiver: answers every export at once (an exporter that does its
 * work — batching, serialising, sending — and never waits on a slow collector) and keeps, for
 * each span received, its name and end time, read straight from the protobuf wire format
 * (ExportTraceServiceRequest → ResourceSpans → ScopeSpans → Span), so the bench can count the
 * spans that ended in a measured window.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedSpans {
  /** Span name → spans whose end time falls in [fromMs, toMs). */
  readonly byName: Record<string, number>;
  readonly total: number;
}

export interface SpanSink {
  /** The OTLP traces endpoint (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`). */
  readonly url: string;
  /** Export requests answered, and spans received, since `reset`. */
  readonly requests: number;
  readonly spans: number;
  /** Requests whose body was not a readable ExportTraceServiceRequest. */
  readonly unreadable: number;
  reset(): void;
  /** Spans received since `reset` that ended in [fromMs, toMs), by name. */
  endedIn(fromMs: number, toMs: number): ReceivedSpans;
  close(): Promise<void>;
}

interface Field {
  readonly field: number;
  readonly wire: number;
  /** The field's value bytes: the payload of a length-delimited field, else the scalar. */
  readonly from: number;
  readonly to: number;
}

/** The fields of a protobuf message in `buf[start, end)`, in order. */
function* fieldsOf(buf: Buffer, start: number, end: number): Generator<Field> {
  let at = start;
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = buf[at++];
      if (byte === undefined || at > end) throw new Error('truncated varint');
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < end) {
    const key = varint();
    const wire = key % 8;
    const from = at;
    if (wire === 0) varint();
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = varint();
      yield { field: Math.floor(key / 8), wire, from: at, to: at + length };
      at += length;
      continue;
    } else throw new Error(`unsupported wire type ${wire}`);
    yield { field: Math.floor(key / 8), wire, from, to: at };
  }
  if (at !== end) throw new Error('a field runs past its message');
}

/** A span's name (field 5) and end time (field 8, fixed64 ns since the epoch) in ms. */
function spanOf(buf: Buffer, from: number, to: number): { name: string; endMs: number } {
  let name = '';
  let endMs = 0;
  for (const f of fieldsOf(buf, from, to)) {
    if (f.field === 5 && f.wire === 2) name = buf.toString('utf8', f.from, f.to);
    else if (f.field === 8 && f.wire === 1)
      endMs = Number(buf.readBigUInt64LE(f.from) / 1_000_000n);
  }
  return { name, endMs };
}

const body = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

export async function startSpanSink(): Promise<SpanSink> {
  let names: string[] = [];
  let ends: number[] = [];
  let requests = 0;
  let unreadable = 0;
  const server = createServer((req, res) => {
    void body(req).then(
      (raw) => {
        requests += 1;
        try {
          const buf = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
          for (const rs of fieldsOf(buf, 0, buf.length)) {
            if (rs.field !== 1 || rs.wire !== 2) continue;
            for (const ss of fieldsOf(buf, rs.from, rs.to)) {
              if (ss.field !== 2 || ss.wire !== 2) continue;
              for (const sp of fieldsOf(buf, ss.from, ss.to)) {
                if (sp.field !== 2 || sp.wire !== 2) continue;
                const span = spanOf(buf, sp.from, sp.to);
                names.push(span.name);
                ends.push(span.endMs);
              }
            }
          }
        } catch {
          unreadable += 1;
        }
        // An empty ExportTraceServiceResponse: everything accepted.
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      },
      () => res.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    get requests() {
      return requests;
    },
    get spans() {
      return names.length;
    },
    get unreadable() {
      return unreadable;
    },
    reset() {
      names = [];
      ends = [];
      requests = 0;
      unreadable = 0;
    },
    endedIn(fromMs, toMs) {
      const byName: Record<string, number> = {};
      let total = 0;
      for (const [i, name] of names.entries()) {
        const end = ends[i] ?? 0;
        if (end < fromMs || end >= toMs) continue;
        byName[name] = (byName[name] ?? 0) + 1;
        total += 1;
      }
      return { byName, total };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
