import { fail, ok, type Result } from '../errors.js';
import { catalogue, type EventType } from './catalogue.js';

/** Turns the raw JSON data of one version of an event type into the data of the next version. */
export type Upcaster = (data: Readonly<Record<string, unknown>>) => Record<string, unknown>;

/**
 * Upcasters by event type and the version they read: `upcasters[type][n]` turns data of version
 * `n` into data of version `n + 1`. When a type's schema changes incompatibly, bump its `version`
 * in the catalogue and add the upcaster from the previous version here: events already in the log
 * keep their version (`type_version`) and are upcast when read, so every reader — commands,
 * processors, replay, the API — only ever sees the current version. An upcaster is pure and
 * works on raw JSON; the catalogue's schema validates what the last one returns.
 */
export const upcasters: { readonly [T in EventType]?: Readonly<Record<number, Upcaster>> } = {
  HintRejected: {
    /**
     * v1 → v2: `kind` (what was proposed) became required. v1 events written before pause and
     * clear proposals existed carry only the hint `slot`, and a slot is the kind of its proposal
     * (`interval` or `oneShot`).
     */
    1: (data) => (data['kind'] === undefined ? { ...data, kind: data['slot'] } : { ...data }),
  },
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The data of an event stored at `version`, upcast to the catalogue's current version of its
 * type (unchanged when it is current). A version newer than the catalogue's, or one with no
 * upcaster on the way, is an error: this code cannot read it.
 */
export function upcast(type: EventType, version: number, data: unknown): Result<unknown> {
  const current = catalogue[type].version;
  if (version === current) return ok(data);
  if (!Number.isInteger(version) || version < 1 || version > current) {
    return fail('validation', `${type} v${version} is not readable (known: v${current})`, {
      field: 'version',
    });
  }
  let upcasted = data;
  for (let from = version; from < current; from++) {
    const step = upcasters[type]?.[from];
    if (!step) {
      return fail('validation', `${type} v${from} has no upcaster to v${from + 1}`, {
        field: 'version',
      });
    }
    if (!isRecord(upcasted)) {
      return fail('validation', `${type} v${from}: data is not an object`, { field: 'data' });
    }
    upcasted = step(upcasted);
  }
  return ok(upcasted);
}
