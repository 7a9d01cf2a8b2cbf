// One lint for TypeScript; C is checked by scripts/lint-c.sh (npm run lint runs both).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'bench/out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Layering: only src/native/ may load the addon.
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/build/Release/*', '**/*.node'], message: 'Only src/native/binding.ts loads the addon.' }] }],
    },
  },
  {
    files: ['src/bus/**/*.ts', 'src/video/**/*.ts'],
    rules: {
      // The bus and video layers must not reach up into daemon, cli, sources, effects or sinks.
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/daemon/**', '**/cli/**', '**/sources/**', '**/effects/**', '**/sinks/**'], message: 'Layers point one way: cli -> daemon -> {sources, effects, sinks} -> bus -> native.' }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
