import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { rampManifestText } from '../../../../test/helpers/ramp-manifest.js';
import { inspectZip, renderInspectReport } from './inspect-zip.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modfleet-inspect-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function zipOf(entries: Record<string, string>): Promise<string> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(entries)) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  const path = join(dir, 'artifact.zip');
  await writeFile(path, Buffer.concat(chunks));
  return path;
}

const manifest = {
  module_name: 'x',
  display_name: 'X',
  version: 10001,
  semantic_version: '1.0.1',
  min_redis_version: '7.0',
  command_line_args: '',
  capabilities: ['types'],
  commands: [{ command_name: 'x.set', command_arity: 0, first_key: 1, last_key: 1, step: 1, flags: ['write'] }],
};

describe('modfleet inspect', () => {
  it('refuses a file that is not there as a usage error, not as a broken zip', async () => {
    await expect(inspectZip(join(dir, 'nope.zip'))).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringMatching(/cannot read .*nope\.zip: ENOENT/) as string,
    });
  });

  it('lints module.json without loading the .so, and counts errors apart from warnings', async () => {
    const zip = await zipOf({ 'module.json': JSON.stringify(manifest), 'x.so': 'stand-in', 'README.txt': 'hi' });

    const report = await inspectZip(zip, { load: false });
    const text = renderInspectReport(report);

    expect(report.not_loaded).toBe('--no-load');
    expect(text).toMatch(/^error: x\.set: command_arity 0 is not valid/m);
    expect(text).toMatch(/^warning: files RS does not use in the zip: README\.txt$/m);
    expect(text).toMatch(/^1 error, 1 warning$/m);
  });

  it('reads a zip packed by RAMP (dependencies as {name: {url, sha256}}) without an error', async () => {
    const zip = await zipOf({ 'module.json': rampManifestText(), 'rampmod.so': 'stand-in' });

    const report = await inspectZip(zip, { load: false });

    expect(report.problems.filter(problem => problem.level === 'error')).toEqual([]);
    expect(report.manifest).toMatchObject({ module_name: 'RampMod', dependencies: { gears: {} } });
  });
});
