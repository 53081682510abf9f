// A database's module_list entry, shared by the bdb object and its upgrades. This file imports nothing.

/** One module_list entry as RS returns it: all four keys, always. */
export interface BdbModuleEntry {
  module_name: string;
  module_args: string;
  /** The CCS module object's uid. */
  module_id: string;
  semantic_version: string;
}
