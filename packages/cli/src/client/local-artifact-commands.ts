import { pathTo, routes, type UploadedArtifact } from '@modfleet/common/contract';
import type { ClientContext } from './client-context.js';
import { openNodeClient } from './node-client.js';
import { toJson } from './output.js';
import { uploadProgress } from './upload-progress.js';

/** `push FILE --node N`: RS's local upload, to that node only; the fleet does not learn of it. */
export async function pushToNode(ctx: ClientContext, file: string, uid: number): Promise<number> {
  const { node, client } = await openNodeClient(ctx, uid);
  try {
    const bar = uploadProgress(ctx.io, `upload to node ${uid}`);
    const uploaded = await client
      .upload<UploadedArtifact>(routes.localArtifacts, { path: file, field: 'module', onProgress: bar.onProgress })
      .finally(() => bar.stop());
    if (ctx.output === 'json') {
      ctx.io.stdout.write(toJson(uploaded));
      return 0;
    }
    const check = uploaded.load_check
      ? `; load check ${uploaded.load_check.status}${uploaded.load_check.status === 'passed' ? '' : `: ${uploaded.load_check.reason}`}`
      : '';
    ctx.io.stdout.write(
      `${uploaded.module_name}@${uploaded.version} installed on node ${uid} (${node.url}), sha256 ${uploaded.sha256.slice(0, 12)}${check}\n` +
        'Only this node holds it: `modfleet verify` lists it as extra until you push it to the fleet.\n',
    );
    return 0;
  } finally {
    await client.close();
  }
}

/** `rm NAME VERSION --node N`: RS's local delete on that node only. */
export async function removeFromNode(ctx: ClientContext, name: string, version: number, uid: number): Promise<number> {
  const { node, client } = await openNodeClient(ctx, uid);
  try {
    await client.delete(pathTo(routes.localArtifact, { moduleName: name, version }));
    ctx.io.stdout.write(
      ctx.output === 'json'
        ? toJson({ node_uid: uid, module_name: name, version, deleted: true })
        : `${name}@${version} deleted from node ${uid} (${node.url})\n`,
    );
    return 0;
  } finally {
    await client.close();
  }
}
