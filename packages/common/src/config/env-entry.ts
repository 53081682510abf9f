// The services' variables and the configuration error, without a library: the light entry
// `@modfleet/common/env` that the CLI's service commands (`coordinator`, `agent`, `up`,
// `simulate`) build their flags and `--help` from, so those commands start without zod or the services.
export { ConfigError } from '../env.js';
export {
  configKeyOf,
  defaultOf,
  ENV_VARIABLES,
  flagOf,
  flagSpecOf,
  isInternalVariable,
  SERVICES,
  serviceVariables,
  servicesOf,
  type EnvName,
  type EnvVariable,
  type ServiceName,
} from './env-table.js';
