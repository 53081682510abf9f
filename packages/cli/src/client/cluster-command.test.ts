import { describe, expect, it } from 'vitest';
import { parseSetting } from './cluster-command.js';

describe('cluster set key=value', () => {
  it('types true/false as booleans and digits as numbers; the rest stays a string for the server to check', () => {
    const patch = ['allow_modules_upload=false', 'login_lockout_threshold=5', 'module_load_check=enforce'].reduce(
      (acc, arg) => parseSetting(arg, acc),
      {} as Record<string, unknown>,
    );
    expect(patch).toEqual({ allow_modules_upload: false, login_lockout_threshold: 5, module_load_check: 'enforce' });
  });

  it('refuses what is not key=value', () => {
    expect(() => parseSetting('module_load_check')).toThrow(/key=value/);
    expect(() => parseSetting('=3')).toThrow(/key=value/);
  });
});
