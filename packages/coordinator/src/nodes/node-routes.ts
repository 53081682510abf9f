import {
  BadRequestError,
  NotAcceptableError,
  NotFoundError,
  requirePermission,
  routes,
  signedJsonBody,
  validateBody,
  type Authenticator,
  type NodeRegistrationAnswer,
  type NodeRegistrationRequest,
} from '@modfleet/common';
import { Router } from 'express';
import { z } from 'zod';
import type { BdbStore } from '../bdbs/bdb-store.js';
import type { NodeQueues } from '../fleet/dispatch/node-queues.js';
import { permittedCertificateNames } from './certificate-policy.js';
import { hostFactsSchema } from './host-facts-schema.js';
import type { NodeRegistry } from './node-registry.js';
import type { NodeRemoval } from './node-removal.js';
import { withShards } from './node-shards.js';

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
  /** Signs an agent's certificate request with the cluster CA for the permitted names; throws on any other request. */
  signCertificate?: ((csrPem: string, permitted: readonly string[]) => Promise<string>) | undefined;
  /** The coordinator's own certificate names: never signed for a node. */
  coordinatorNames: readonly string[];
  claimNonce: (nonce: string) => Promise<boolean>;
  /** Nodes may register a plain http:// addr (MODFLEET_ALLOW_HTTP_NODES). */
  allowHttpNodes: boolean;
  /** Called for a node that was not a member: it gets the fleet's artifacts. */
  onJoin: (nodeUid: number) => Promise<string | undefined>;
  /** The databases whose shard placements fill each node's shard_count and shard_list. */
  databases?: { store: Pick<BdbStore, 'list'> } | undefined;
}

function parseUid(raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new NotFoundError('node_not_exist', `Node ${raw} does not exist`);
  return Number(raw);
}

/** A registration body is small (a CSR of at most 16 KiB and the host's facts): nothing bigger is read. */
const REGISTRATION_BODY_LIMIT = '64kb';

async function sign(
  csr: string,
  permitted: () => Promise<string[]>,
  signCertificate: NodeRoutesDeps['signCertificate'],
): Promise<string | undefined> {
  if (!signCertificate) return undefined; // a coordinator serving a configured certificate holds no CA key
  const names = await permitted();
  try {
    return await signCertificate(csr, names);
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
  coordinatorNames,
  claimNonce,
  allowHttpNodes,
  onJoin,
  databases,
}: NodeRoutesDeps): Router {
  const router = Router();
  const canView = requirePermission(auth, 'view_cluster_modules');

  router.get(routes.nodes, canView, async (_req, res) => {
    res.json(await withShards(await nodes.list(), databases?.store));
  });

  router.get(routes.node, canView, async (req, res) => {
    const uid = parseUid(req.params.uid as string);
    const node = await nodes.get(uid);
    if (!node) throw new NotFoundError('node_not_exist', `Node ${uid} does not exist`);
    res.json((await withShards([node], databases?.store))[0]);
  });

  router.delete(routes.node, requirePermission(auth, 'update_node'), async (req, res) => {
    const uid = parseUid(req.params.uid as string);
    const cancelled = await removal.remove(uid);
    req.log.info({ node_uid: uid, cancelled }, 'node removed from the cluster');
    res.json({});
  });

  const signedBody = signedJsonBody({
    clusterSecret,
    path: routes.nodeRegister,
    claimNonce,
    limit: REGISTRATION_BODY_LIMIT,
  });
  router.post(routes.nodeRegister, ...signedBody, async (req, res) => {
    const { csr, ...registration } = validateBody(registrationSchema, req.body, 'invalid_schema');
    if (!allowHttpNodes && !registration.addr.startsWith('https:')) {
      throw new NotAcceptableError(
        'invalid_schema',
        'addr: a node must serve HTTPS (a plain http:// addr needs MODFLEET_ALLOW_HTTP_NODES on the coordinator)',
      );
    }
    const permitted = async () =>
      permittedCertificateNames({
        uid: registration.uid ?? 0,
        addr: registration.addr,
        coordinatorNames,
        nodes: await nodes.list(),
      });
    const certificate = csr === undefined ? undefined : await sign(csr, permitted, signCertificate);
    const { node, joined } = await nodes.register(registration, { serving: certificate === undefined });
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
