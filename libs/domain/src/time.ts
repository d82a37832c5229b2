/** Instants are epoch milliseconds inside the domain and ISO-8601 strings in events. */
export type Millis = number;

export const toIso = (ms: Millis): string => new Date(ms).toISOString();

export const fromIso = (iso: string): Millis => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`invalid ISO-8601 instant: ${iso}`);
  return ms;
};
