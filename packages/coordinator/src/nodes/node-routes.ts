import {
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
}) satisfies z.ZodType<NodeRegistrationRequest>;

export interface NodeRoutesDeps {
  auth: Authenticator;
  nodes: NodeRegistry;
  removal: NodeRemoval;
  queues: Pick<NodeQueues, 'node'>;
  clusterSecret: string;
  /** Called for a node that was not a member: it gets the fleet's artifacts. */
  onJoin: (nodeUid: number) => Promise<string | undefined>;
}

function parseUid(raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new NotFoundError('node_not_exist', `Node ${raw} does not exist`);
  return Number(raw);
}

export function nodeRoutes({ auth, nodes, removal, queues, clusterSecret, onJoin }: NodeRoutesDeps): Router {
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
    const registration = validateBody(registrationSchema, req.body, 'invalid_schema');
    const { node, joined } = await nodes.register(registration);
    queues.node(node.uid); // caps the node queue's event stream before its first job
    const welcome_action_uid = joined ? await onJoin(node.uid) : undefined;
    req.log.info({ node_uid: node.uid, addr: node.addr, joined, welcome_action_uid }, 'node registered');
    const answer: NodeRegistrationAnswer = { uid: node.uid, joined, ...(welcome_action_uid && { welcome_action_uid }) };
    res.json(answer);
  });

  return router;
}
