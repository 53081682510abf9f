import {
  BadRequestError,
  jsonBody,
  NotFoundError,
  requirePermission,
  routes,
  SIGNATURE_HEADER,
  UnauthorizedError,
  validateBody,
  verifyRequestSignature,
  type Authenticator,
  type NodeRegistrationAnswer,
  type NodeRegistrationRequest,
} from '@modfleet/common';
import { Router } from 'express';
import { z } from 'zod';
import type { NodeQueues } from '../fleet/node-queues.js';
import { hostFactsSchema } from './host-facts-schema.js';
import type { NodeRegistry } from './node-registry.js';
import type { NodeRemoval } from './node-removal.js';

const registrationSchema = z.strictObject({
  uid: z.number().int().positive().optional(),
  addr: z.url({ protocol: /^https?$/ }),
  instance_id: z.string().min(8).max(128),
  host: hostFactsSchema.optional(),
  csr: z.string().min(1).max(16_384).optional(),
}) satisfies z.ZodType<NodeRegistrationRequest>;

export interface NodeRoutesDeps {
  auth: Authenticator;
  nodes: NodeRegistry;
  removal: NodeRemoval;
  queues: Pick<NodeQueues, 'node'>;
  clusterSecret: string;
  /** Signs an agent's certificate request with the cluster CA; throws on a request that does not verify. */
  signCertificate?: ((csrPem: string) => Promise<string>) | undefined;
  /** Called for a node that was not a member: it gets the fleet's artifacts. */
  onJoin: (nodeUid: number) => Promise<string | undefined>;
}

function parseUid(raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new NotFoundError('node_not_exist', `Node ${raw} does not exist`);
  return Number(raw);
}

async function sign(csr: string, signCertificate: NodeRoutesDeps['signCertificate']): Promise<string | undefined> {
  if (!signCertificate) return undefined; // a coordinator serving a configured certificate holds no CA key
  try {
    return await signCertificate(csr);
  } catch (err) {
    throw new BadRequestError('invalid_csr', `The certificate request was refused: ${(err as Error).message}`);
  }
}

export function nodeRoutes({
  auth,
  nodes,
  removal,
  queues,
  clusterSecret,
  signCertificate,
  onJoin,
}: NodeRoutesDeps): Router {
  const router = Router();
  const canView = requirePermission(auth, 'view_cluster_modules');

  router.get(routes.nodes, canView, async (_req, res) => {
    res.json(await nodes.list());
  });

  router.get(routes.node, canView, async (req, res) => {
    const uid = parseUid(req.params.uid as string);
    const node = await nodes.get(uid);
    if (!node) throw new NotFoundError('node_not_exist', `Node ${uid} does not exist`);
    res.json(node);
  });

  router.delete(routes.node, requirePermission(auth, 'update_node'), async (req, res) => {
    const uid = parseUid(req.params.uid as string);
    const cancelled = await removal.remove(uid);
    req.log.info({ node_uid: uid, cancelled }, 'node removed from the cluster');
    res.json({});
  });

  router.post(routes.nodeRegister, ...jsonBody(), async (req, res) => {
    if (
      !verifyRequestSignature(
        clusterSecret,
        'POST',
        routes.nodeRegister,
        req.headers[SIGNATURE_HEADER] as string | undefined,
      )
    ) {
      throw new UnauthorizedError('Node registration needs a request signed with the cluster secret');
    }
    const { csr, ...registration } = validateBody(registrationSchema, req.body, 'invalid_schema');
    const certificate = csr === undefined ? undefined : await sign(csr, signCertificate);
    const { node, joined } = await nodes.register(registration);
    queues.node(node.uid); // caps the node queue's event stream before its first job
    const welcome_action_uid = joined ? await onJoin(node.uid) : undefined;
    req.log.info({ node_uid: node.uid, addr: node.addr, joined, welcome_action_uid }, 'node registered');
    const answer: NodeRegistrationAnswer = {
      uid: node.uid,
      joined,
      ...(welcome_action_uid && { welcome_action_uid }),
      ...(certificate && { certificate }),
    };
    res.json(answer);
  });

  return router;
}
