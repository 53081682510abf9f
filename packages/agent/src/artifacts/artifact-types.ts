import type { LoadCheck, LocalArtifactListing, ModuleManifest } from '@modfleet/common';

/** What the store keeps beside each artifact's zip. */
export interface StoredArtifact extends LocalArtifactListing {
  semantic_version: string;
  sha256: string;
  size: number;
  module_file: string;
  installed_at: string;
  manifest: ModuleManifest;
  /** This node's load check of the .so, made before the install (absent on artifacts older than the check). */
  load_check?: LoadCheck;
}

export function toListing(artifact: StoredArtifact): LocalArtifactListing {
  return { module_name: artifact.module_name, version: artifact.version, dependencies: artifact.dependencies };
}
