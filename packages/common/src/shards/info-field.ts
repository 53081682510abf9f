/** One `name:value` field of a redis-server `INFO` answer, trimmed; undefined when absent. */
export const infoField = (info: string, name: string): string | undefined =>
  new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
