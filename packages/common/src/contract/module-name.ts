/** RS module names: letters, digits, `.`, `_`, `-`; never a path (so never `.` or `..`). */
export const MODULE_NAME_RULES = [
  { pattern: /^[A-Za-z0-9._-]{1,64}$/, message: 'module_name must be 1-64 characters of A-Z a-z 0-9 . _ -' },
  { pattern: /^(?!\.+$)/, message: 'module_name must not be only dots' },
] as const;

/** What is wrong with a module name, by the first rule it breaks; undefined for a good one. */
export const moduleNameProblem = (name: string): string | undefined =>
  MODULE_NAME_RULES.find(rule => !rule.pattern.test(name))?.message;
