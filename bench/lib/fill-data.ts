import { randomBytes } from 'node:crypto';
import { directClient, type Endpoint } from '../../test/helpers/write-load.js';

export const FILL_VALUE_BYTES = 64 * 1024;

/**
 * Fills a database with `sizeMib` MiB of random 64 KiB values (pipelined, 1 MiB at a time) and
 * 100 mfver typed keys; returns how many keys it wrote.
 */
export async function fillWithData(endpoint: Endpoint, sizeMib: number): Promise<number> {
  const client = directClient(endpoint);
  await client.connect();
  try {
    const count = Math.round((sizeMib * 1024 * 1024) / FILL_VALUE_BYTES);
    for (let i = 0; i < count; i += 16) {
      const batch = client.pipeline();
      for (let j = i; j < Math.min(count, i + 16); j++) batch.set(`fill:${j}`, randomBytes(FILL_VALUE_BYTES));
      for (const [err] of (await batch.exec()) ?? []) if (err) throw err;
    }
    for (let i = 0; i < 100; i++) await client.call('MFVER.SET', `typed:${i}`, `value ${i}`);
    return count + 100;
  } finally {
    client.disconnect();
  }
}
