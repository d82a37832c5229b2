import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin connection string of the Postgres server the integration tiers use. */
    databaseUrl: string;
  }
}
