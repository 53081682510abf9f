import { routes } from '@modfleet/common';

/**
 * The cluster-wide RS routes: every template under `/v<n>/` that is not a node's own `/local/`
 * route. Any node answers them, as RS nodes pass cluster requests to the master; a route added to
 * the contract is forwarded without a change here.
 */
export const clusterRouteTemplates: string[] = Object.values(routes).filter(
  template => /^\/v\d+\//.test(template) && !template.includes('/local/'),
);
