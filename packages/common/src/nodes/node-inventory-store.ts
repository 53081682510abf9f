/** One artifact a node reports holding. */
export interface HeldArtifact {
  module_name: string;
  version: number;
  sha256: string;
}

/** What every node reports it holds (`<name>@<version>` → sha256), so the fleet view can show drift. */
export interface NodeInventoryStore {
  /** Replaces the node's whole inventory. */
  report(nodeUid: number, artifacts: HeldArtifact[]): Promise<void>;
  read(nodeUid: number): Promise<Map<string, string>>;
}
