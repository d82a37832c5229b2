import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SecretBox } from '@orrery/secrets';

/**
 * The key that seals secret header values, as the API has it: `ORRERY_SECRET_KEY`, else the
 * `secret.key` that `npm start` keeps in its data directory (`ORRERY_DATA_DIR`, `.orrery`).
 * Null when there is neither: a document with no secret header needs none.
 */
export async function secretBoxForTool(): Promise<SecretBox | null> {
  const fromEnv = process.env['ORRERY_SECRET_KEY'];
  if (fromEnv) return SecretBox.fromBase64(fromEnv);
  const file = join(resolve(process.env['ORRERY_DATA_DIR'] || '.orrery'), 'secret.key');
  if (!existsSync(file)) return null;
  return SecretBox.fromBase64((await readFile(file, 'utf8')).trim(), file);
}
