import type { LoadCheck } from '../modules/load-check-types.js';

/** One artifact a node reports holding, with the load check it made of it, if any. */
export interface HeldArtifact {
  module_name: string;
  version: number;
  sha256: string;
  load_check?: LoadCheck | undefined;
}

/** What every node reports it holds (`<name>@<version>` → sha256), so the fleet view can show drift. */
export interface NodeInventoryStore {
  /** Replaces the node's whole inventory. */
  report(nodeUid: number, artifacts: HeldArtifact[]): Promise<void>;
  read(nodeUid: number): Promise<Map<string, string>>;
  /** `<name>@<version>` → the load check the node made of what it holds. */
  readLoadChecks(nodeUid: number): Promise<Map<string, LoadCheck>>;
}
