// One lint for TypeScript; C is checked by scripts/lint-c.sh (npm run lint runs both).
// The layering of docs/architecture.md is enforced here: each folder of src/
// may import only the layers below it, and only src/native/ loads the addon.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// What each layer may NOT import (everything above it, and its peers where
// peers must stay independent). errors.ts sits at the bottom, beside util/.
const LAYERS = {
  util: ['native', 'video', 'bus', 'devices', 'encode', 'sources', 'sinks', 'effects', 'daemon', 'cli', 'api'],
  // native may use video/formats.ts (a leaf table) to describe pixel layouts to the kernels
  native: ['bus', 'devices', 'encode', 'sources', 'sinks', 'effects', 'daemon', 'cli', 'api'],
  video: ['bus', 'devices', 'encode', 'sources', 'sinks', 'effects', 'daemon', 'cli', 'api'],
  bus: ['devices', 'encode', 'sources', 'sinks', 'effects', 'daemon', 'cli', 'api'],
  devices: ['bus', 'encode', 'sources', 'sinks', 'effects', 'daemon', 'cli', 'api'],
  // the encode stage runs vidbus-encode on bus streams (asking devices/ for a hardware encoder); the sinks that send video out (view, publish) use it
  encode: ['sources', 'sinks', 'effects', 'daemon', 'cli', 'api'],
  sources: ['sinks', 'effects', 'daemon', 'cli', 'api'],
  sinks: ['sources', 'effects', 'daemon', 'cli', 'api'],
  effects: ['sources', 'sinks', 'daemon', 'cli', 'api'],
  daemon: ['cli', 'api'],
  cli: ['api'],
};
const LAYER_MESSAGE = 'Layers point one way: cli -> daemon -> {sources, effects, sinks} -> {bus, devices, encode} -> video -> native -> util (docs/architecture.md).';

// Only src/native/binding.ts loads the addon; everything else uses the typed wrappers in src/native/.
const ADDON_PATTERNS = [{ group: ['**/native/binding.js', '**/build/Release/*', '**/build/Debug/*', '**/*.node'], message: 'Only src/native/ loads the addon: use its typed wrappers.' }];
const ADDON_SYNTAX = [
  { selector: "MemberExpression[object.name='process'][property.name='dlopen']", message: 'Only src/native/ loads the addon.' },
  { selector: "CallExpression > Literal[value=/\\.node$/]", message: 'Only src/native/ loads the addon.' },
];

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'bench/out/', 'docs/api/', 'libvidbus/', 'python/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      ...restrict(ADDON_PATTERNS),
      'no-restricted-syntax': ['error', ...ADDON_SYNTAX],
    },
  },
  ...Object.entries(LAYERS).map(([layer, above]) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: restrict([...(layer === 'native' ? [] : ADDON_PATTERNS), { group: above.flatMap((l) => [`**/${l}/**`, `../${l}/*`]), message: LAYER_MESSAGE }]),
  })),
  {
    files: ['src/native/**/*.ts', 'test/native/binding.test.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['test/native/binding.test.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Examples show the public API only: the package root and its subpath entries.
    files: ['examples/**/*.ts'],
    rules: restrict([...ADDON_PATTERNS, { group: [...Object.keys(LAYERS).map((l) => `../src/${l}/**`), '../src/errors.js'], message: "Examples use the public API: 'vidbus' (src/index.ts) or its subpaths (src/api/)." }]),
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
