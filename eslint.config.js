import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import modfleet from './eslint-rules/no-hand-built-redis-keys.js';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.modfleet/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.tests.json', './packages/*/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
      globals: globals.node,
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-console': 'error',
    },
  },
  {
    plugins: { modfleet },
    rules: { 'modfleet/no-hand-built-redis-keys': 'error' },
  },
  {
    files: ['packages/common/src/redis-keys.ts'],
    rules: { 'modfleet/no-hand-built-redis-keys': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['packages/coordinator/static/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
