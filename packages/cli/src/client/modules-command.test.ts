import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moduleObjectBodySchema } from '@modfleet/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeArtifactZip } from '../../../../test/helpers/artifact-zip.js';
import { RAMP_DEPENDENCY_SHA256, rampManifestText } from '../../../../test/helpers/ramp-manifest.js';
import { readModuleDefinition } from './module-definition.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modfleet-modules-create-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('modules create <artifact.zip>', () => {
  it('sends the module.json of a zip packed by RAMP as a body the coordinator takes, dependencies and all', async () => {
    const zip = join(dir, 'rampmod.zip');
    await writeArtifactZip(zip, { manifestText: rampManifestText(), soName: 'rampmod.so' });

    const body = await readModuleDefinition(zip);

    expect(moduleObjectBodySchema.safeParse(body).success).toBe(true);
    expect(body).toMatchObject({
      module_file: 'rampmod.so',
      dependencies: { gears: { url: 'http://example.invalid/gears.zip', sha256: RAMP_DEPENDENCY_SHA256 } },
    });
  });

  it('refuses a RAMP zip whose dependency sha256 is malformed, naming the field', async () => {
    const zip = join(dir, 'bad.zip');
    const dependencies = { gears: { sha256: 'abc' } };
    await writeArtifactZip(zip, { manifestText: rampManifestText({ dependencies }), soName: 'rampmod.so' });

    await expect(readModuleDefinition(zip)).rejects.toMatchObject({
      code: 'bad_file',
      message: expect.stringContaining('dependencies.gears.sha256') as string,
    });
  });
});
