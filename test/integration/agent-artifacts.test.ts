import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { routes } from '@modfleet/common';
import { describe, expect, it } from 'vitest';
import { buildArtifactZip } from '../helpers/artifact-zip.js';
import { api, artifactForm, type Credentials } from '../helpers/http.js';
import { ADMIN } from '../helpers/in-process-cluster.js';
import { oneAgentPerFile } from '../helpers/cluster-per-test.js';
import { expectRsError } from '../helpers/rs-error.js';

const NON_ADMIN_VIEWERS = ['cluster_member', 'cluster_viewer', 'db_member', 'db_viewer', 'user_manager'] as const;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** yazl refuses unsafe entry names: write a same-length placeholder, then patch the name in. */
async function zipWithRawEntry(rawName: string): Promise<Buffer> {
  const placeholder = 'Q'.repeat(Buffer.byteLength(rawName));
  const zip = await buildArtifactZip({ extraEntries: { [placeholder]: 'payload' } });
  const from = Buffer.from(placeholder);
  for (let at = zip.indexOf(from); at !== -1; at = zip.indexOf(from, at + 1)) Buffer.from(rawName).copy(zip, at);
  return zip;
}

describe('agent local artifacts API', () => {
  const { cluster, artifactsUrl, list, upload, remove, tmpEntries } = oneAgentPerFile();
  const setUploadsAllowed = (allowed: boolean) =>
    api(`${cluster().coordinator.url}${routes.cluster}`, {
      method: 'PUT',
      credentials: ADMIN,
      json: { allow_modules_upload: allowed },
    });

  async function createUser(role: string): Promise<Credentials> {
    const credentials = { email: `${role}-${randomUUID()}@test.local`, password: `pw-${randomUUID()}` };
    const res = await api(`${cluster().coordinator.url}${routes.users}`, {
      method: 'POST',
      credentials: ADMIN,
      json: { ...credentials, role },
    });
    expect(res.status).toBe(200);
    return credentials;
  }

  async function expectNothingStored(): Promise<void> {
    expect(await tmpEntries()).toEqual([]);
    expect((await list()).body).toEqual([]);
  }

  describe(`GET ${routes.localArtifacts}`, () => {
    it('answers 200 [] when no artifact is installed', async () => {
      const res = await list();

      expect(res.status).toBe(200);
      expect(res.body).toEqual([]);
    });

    it('lists exactly {module_name, version, dependencies} for each artifact', async () => {
      await upload(await buildArtifactZip());
      await upload(
        await buildArtifactZip({ manifest: { module_name: 'Another', version: 7, dependencies: undefined } }),
      );

      const res = await list();

      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        { module_name: 'Another', version: 7, dependencies: [] },
        { module_name: 'TestModule', version: 123, dependencies: ['dep_1', 'dep_2'] },
      ]);
    });

    it('answers 401 with a Basic challenge when credentials are missing', async () => {
      const res = await api(artifactsUrl());

      expectRsError(res, 401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic\b/);
    });

    it.each([
      ['a wrong password', { email: ADMIN.email, password: 'not-the-password' }],
      ['an unknown email', { email: 'nobody@test.local', password: ADMIN.password }],
    ])('answers 401 with a Basic challenge for %s', async (_label, credentials) => {
      const res = await list(credentials);

      expectRsError(res, 401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic\b/);
    });

    it.each(['Bearer abc', 'Basic !!!', 'Basic ' + Buffer.from('no-colon').toString('base64')])(
      'answers 401 with a Basic challenge for the malformed header %j',
      async authorization => {
        const res = await api(artifactsUrl(), { headers: { authorization } });

        expectRsError(res, 401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic\b/);
      },
    );

    it.each(NON_ADMIN_VIEWERS)('lets the %s role list artifacts', async role => {
      await upload(await buildArtifactZip());
      const credentials = await createUser(role);

      const res = await list(credentials);

      expect(res.status).toBe(200);
      expect(res.body).toEqual([{ module_name: 'TestModule', version: 123, dependencies: ['dep_1', 'dep_2'] }]);
    });

    it('refuses the none role with 403', async () => {
      const credentials = await createUser('none');

      const res = await list(credentials);

      expectRsError(res, 403);
    });
  });

  describe(`POST ${routes.localArtifacts}`, () => {
    it('installs an artifact: 200 with its sha256 and size, then listed', async () => {
      const zip = await buildArtifactZip();

      const res = await upload(zip);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        module_name: 'TestModule',
        version: 123,
        dependencies: ['dep_1', 'dep_2'],
        sha256: sha256(zip),
        size: zip.length,
        // Random bytes are no module: the node's load check says so (warn, the default, still installs).
        load_check: expect.objectContaining({ status: 'failed' }) as unknown,
      });
      expect((await list()).body).toEqual([
        { module_name: 'TestModule', version: 123, dependencies: ['dep_1', 'dep_2'] },
      ]);
      expect(await tmpEntries()).toEqual([]);
    });

    it('answers 200 and changes nothing when the identical bytes are uploaded again', async () => {
      const zip = await buildArtifactZip();
      const first = await upload(zip);

      const again = await upload(zip);

      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect((await list()).body).toHaveLength(1);
      expect(await tmpEntries()).toEqual([]);
    });

    it('refuses other bytes under an installed name and version with 406 module_exists and keeps the original', async () => {
      const original = await buildArtifactZip();
      await upload(original);

      const res = await upload(await buildArtifactZip());

      expectRsError(res, 406, 'module_exists');
      expect((await list()).body).toHaveLength(1);
      expect(await tmpEntries()).toEqual([]);
      const reupload = await upload(original);
      expect(reupload.status).toBe(200);
      expect(reupload.body).toMatchObject({ sha256: sha256(original) });
    });

    describe('400 no_module', () => {
      it('for an empty POST with no multipart body at all', async () => {
        const res = await api(artifactsUrl(), { method: 'POST', credentials: ADMIN });

        expectRsError(res, 400, 'no_module');
        await expectNothingStored();
      });

      it('for the artifact sent under another field name than "module"', async () => {
        const form = artifactForm(await buildArtifactZip(), 'file');

        const res = await api(artifactsUrl(), { method: 'POST', credentials: ADMIN, form });

        expectRsError(res, 400, 'no_module');
        await expectNothingStored();
      });

      it('for "module" sent as a text field rather than a file', async () => {
        const form = new FormData();
        form.append('module', 'not a file');

        const res = await api(artifactsUrl(), { method: 'POST', credentials: ADMIN, form });

        expectRsError(res, 400, 'no_module');
        await expectNothingStored();
      });

      it('for a JSON body instead of multipart', async () => {
        const res = await api(artifactsUrl(), { method: 'POST', credentials: ADMIN, json: { module: 'x.zip' } });

        expectRsError(res, 400, 'no_module');
        await expectNothingStored();
      });
    });

    it('refuses the artifact followed by a second file with 400 and removes the part already stored', async () => {
      const form = artifactForm(await buildArtifactZip());
      form.append('extra', new Blob([randomBytes(1024)]), 'extra.bin');

      const res = await api(artifactsUrl(), { method: 'POST', credentials: ADMIN, form });

      expectRsError(res, 400);
      await expectNothingStored();
    });

    it('refuses bytes that are not a zip with 400 bad_artifact', async () => {
      const res = await upload(randomBytes(4096));

      expectRsError(res, 400, 'bad_artifact');
      await expectNothingStored();
    });

    const invalidArtifacts: [string, () => Promise<Buffer>][] = [
      ['no module.json', () => buildArtifactZip({ withoutManifest: true })],
      [
        'module.json not at the root',
        () => buildArtifactZip({ withoutManifest: true, extraEntries: { 'meta/module.json': '{}' } }),
      ],
      ['module.json that is not valid JSON', () => buildArtifactZip({ manifestText: '{"module_name": ' })],
      ['a module.json missing its required fields', () => buildArtifactZip({ manifestText: '{}' })],
      ['a module.json without semantic_version', () => buildArtifactZip({ manifest: { semantic_version: undefined } })],
      ['a non-integer version', () => buildArtifactZip({ manifest: { version: 1.5 } })],
      ['a version given as a string', () => buildArtifactZip({ manifest: { version: '123' } })],
      ...['../x', 'a/b', 'm'.repeat(65), '..'].map((name): [string, () => Promise<Buffer>] => [
        `the module_name ${JSON.stringify(name)}`,
        () => buildArtifactZip({ manifest: { module_name: name } }),
      ]),
      ['no .so', () => buildArtifactZip({ so: false })],
      ['two .so files', () => buildArtifactZip({ extraEntries: { 'second.so': randomBytes(64) } })],
      ['a nested folder', () => buildArtifactZip({ extraEntries: { 'lib/helper.txt': 'x' } })],
      ['an entry that escapes the folder (zip-slip "../evil.so")', () => zipWithRawEntry('../evil.so')],
      ['an absolute entry path "/etc/evil.so"', () => zipWithRawEntry('/etc/evil.so')],
    ];

    it.each(invalidArtifacts)('refuses a zip with %s with 406 invalid_module', async (_label, makeZip) => {
      const zip = await makeZip();

      const res = await upload(zip);

      expectRsError(res, 406, 'invalid_module');
      await expectNothingStored();
    });

    it.each(NON_ADMIN_VIEWERS)('refuses an upload by the %s role with 403', async role => {
      const credentials = await createUser(role);

      const res = await upload(await buildArtifactZip(), credentials);

      expectRsError(res, 403);
      await expectNothingStored();
    });

    it('refuses an upload without credentials with 401 and a Basic challenge', async () => {
      const res = await api(artifactsUrl(), { method: 'POST', form: artifactForm(await buildArtifactZip()) });

      expectRsError(res, 401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic\b/);
      await expectNothingStored();
    });

    it('refuses even an admin with 403 modules_upload_disabled while allow_modules_upload is false', async () => {
      expect((await setUploadsAllowed(false)).status).toBe(200);

      const res = await upload(await buildArtifactZip());

      expectRsError(res, 403, 'modules_upload_disabled');
      await expectNothingStored();
    });

    it('accepts uploads again once allow_modules_upload is set back to true', async () => {
      await setUploadsAllowed(false);
      await upload(await buildArtifactZip());
      expect((await setUploadsAllowed(true)).status).toBe(200);

      const res = await upload(await buildArtifactZip());

      expect(res.status).toBe(200);
      expect((await list()).body).toHaveLength(1);
    });

    it('still lists and deletes installed artifacts while uploads are disabled', async () => {
      await upload(await buildArtifactZip());
      await setUploadsAllowed(false);

      const listed = await list();
      const deleted = await remove('TestModule', 123);

      expect(listed.body).toHaveLength(1);
      expect(deleted.status).toBe(200);
      expect((await list()).body).toEqual([]);
    });
  });

  describe(`DELETE ${routes.localArtifacts}/<module_name>/<version>`, () => {
    it('deletes an installed artifact: 200, then no longer listed', async () => {
      await upload(await buildArtifactZip());

      const res = await remove('TestModule', 123);

      expect(res.status).toBe(200);
      expect((await list()).body).toEqual([]);
      expect(await tmpEntries()).toEqual([]);
    });

    it('deletes an artifact whose name uses dots, dashes and underscores', async () => {
      await upload(await buildArtifactZip({ manifest: { module_name: 'my.module-1_x', version: 0 } }));

      const res = await remove('my.module-1_x', 0);

      expect(res.status).toBe(200);
      expect((await list()).body).toEqual([]);
    });

    it('answers 404 for an artifact that is not installed', async () => {
      await upload(await buildArtifactZip());

      const res = await remove('TestModule', 124);

      expectRsError(res, 404);
      expect((await list()).body).toHaveLength(1);
    });

    it.each(['abc', '1.5', '-1', '12e3'])('answers 404 for the non-integer version %j', async version => {
      await upload(await buildArtifactZip());

      const res = await remove('TestModule', version);

      expectRsError(res, 404);
      expect((await list()).body).toHaveLength(1);
    });

    it.each([...NON_ADMIN_VIEWERS, 'none'])('refuses a delete by the %s role with 403', async role => {
      await upload(await buildArtifactZip());
      const credentials = await createUser(role);

      const res = await remove('TestModule', 123, credentials);

      expectRsError(res, 403);
      expect((await list()).body).toHaveLength(1);
    });

    it('refuses a delete without credentials with 401', async () => {
      await upload(await buildArtifactZip());

      const res = await api(`${artifactsUrl()}/TestModule/123`, { method: 'DELETE' });

      expectRsError(res, 401);
      expect((await list()).body).toHaveLength(1);
    });

    it('accepts other bytes under the same name and version after a delete', async () => {
      await upload(await buildArtifactZip());
      await remove('TestModule', 123);
      const replacement = await buildArtifactZip();

      const res = await upload(replacement);

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ sha256: sha256(replacement) });
      expect((await list()).body).toHaveLength(1);
    });
  });
});
