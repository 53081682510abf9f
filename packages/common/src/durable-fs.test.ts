import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTmpDir, removeDir } from '../../../test/helpers/tmp-dir.js';
import { writeFileDurable } from './durable-fs.js';

describe('writeFileDurable', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTmpDir('durable-fs');
  });
  afterEach(() => removeDir(dir));

  it('creates a private file with its mode from the start, not chmod-ed after the write', async () => {
    const path = join(dir, 'key.pem');
    await writeFileDurable(path, 'secret', 0o600);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});
