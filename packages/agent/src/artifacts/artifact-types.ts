import type { ModuleManifest } from '@modfleet/common';

/** The RS listing entry for one artifact on this node. */
export interface ArtifactListing {
  module_name: string;
  version: number;
  dependencies: string[];
}

/** What the store keeps beside each artifact's zip. */
export interface StoredArtifact extends ArtifactListing {
  semantic_version: string;
  sha256: string;
  size: number;
  module_file: string;
  installed_at: string;
  manifest: ModuleManifest;
}

export function toListing(artifact: StoredArtifact): ArtifactListing {
  return { module_name: artifact.module_name, version: artifact.version, dependencies: artifact.dependencies };
}
