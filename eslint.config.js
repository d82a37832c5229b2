// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

/** Nx tags: the domain is pure, adapters build on it, services wire and never import each other. */
const boundaries = (/** @type {string[]} */ testOnly) => {
  const tests = testOnly.length > 0 ? ['type:testkit'] : [];
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      depConstraints: [
        // The pure core: no adapters, no I/O. Only zod and the cron library (plus test tools in tests).
        {
          sourceTag: 'type:domain',
          onlyDependOnLibsWithTags: [],
          allowedExternalImports: ['zod', 'croner', '@marcbachmann/cel-js', ...testOnly],
        },
        // Adapters and app libs may use the testkit only from their tests.
        {
          sourceTag: 'type:adapter',
          onlyDependOnLibsWithTags: ['type:domain', 'type:adapter', ...tests],
        },
        {
          sourceTag: 'type:app',
          onlyDependOnLibsWithTags: ['type:domain', 'type:adapter', 'type:app', ...tests],
        },
        { sourceTag: 'type:testkit', onlyDependOnLibsWithTags: ['type:domain', 'type:adapter'] },
        {
          sourceTag: 'type:script',
          onlyDependOnLibsWithTags: ['type:domain', 'type:adapter', 'type:app'],
        },
        {
          sourceTag: 'type:service',
          onlyDependOnLibsWithTags: ['type:domain', 'type:adapter', 'type:app'],
        },
      ],
    },
  ];
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.nx/**', '.orrery/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@nx/enforce-module-boundaries': boundaries([]),
    },
  },
  {
    // Domain code must take time and randomness as inputs (replay depends on it).
    files: ['libs/domain/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Pass `now` in.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Pass `now` in.',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'Derive it from inputs.',
        },
      ],
    },
  },
  {
    files: [
      '**/*.test.ts',
      '**/*.test-support.ts',
      '**/*.contract.ts',
      '**/*test-helpers.ts',
      '**/contract-helpers.ts',
      '**/test-support/**',
    ],
    rules: { '@nx/enforce-module-boundaries': boundaries(['vitest', 'fast-check']) },
  },
  prettier,
);
