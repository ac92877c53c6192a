// One lint config for the workspace: type-aware rules that catch lost promises and
// non-exhaustive switches, and Nx module boundaries so libs are imported only by entry point.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// Tiers (README "Architecture"): a lib may import its own tier and the tiers below it, never
// above; a stage never imports another stage; only tests and tools import libs/testing.
const BELOW_STAGES = ['tier:domain', 'tier:platform', 'tier:format', 'tier:lifecycle', 'tier:runtime'];
const TIERS = {
  'tier:domain': ['tier:domain'],
  'tier:platform': ['tier:domain', 'tier:platform'],
  'tier:format': ['tier:domain', 'tier:format'],
  'tier:lifecycle': ['tier:domain', 'tier:platform', 'tier:lifecycle'],
  'tier:runtime': ['tier:domain', 'tier:platform', 'tier:runtime'],
  // Each stage is its own service: one stage importing another would put it in that bundle.
  'tier:stage': BELOW_STAGES,
  // libs/services: every stage by name, for what runs or describes them all.
  'tier:composition': [...BELOW_STAGES, 'tier:stage', 'tier:composition'],
  'tier:app': [...BELOW_STAGES, 'tier:stage', 'tier:composition'],
  'tier:testing': ['tier:domain', 'tier:platform', 'tier:testing'],
  'tier:e2e': [...BELOW_STAGES, 'tier:stage', 'tier:composition', 'tier:testing', 'tier:e2e'],
};
const PRODUCTION_TIERS = TIERS;
const TEST_TIERS = Object.fromEntries(
  Object.entries(TIERS).map(([tier, allowed]) => [tier, [...new Set([...allowed, 'tier:testing'])]]),
);
const TEST_FILES = ['**/*.test.ts', '**/test/**/*.ts'];

function boundaries(tiers) {
  return {
    allow: [],
    enforceBuildableLibDependency: false,
    depConstraints: Object.entries(tiers).map(([sourceTag, onlyDependOnLibsWithTags]) => ({
      sourceTag,
      onlyDependOnLibsWithTags,
    })),
  };
}

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.nx/**', '**/fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': ['error', boundaries(PRODUCTION_TIERS)],
    },
  },
  {
    // Tests and their support may also use libs/testing; cross-stage tests live in e2e/.
    files: TEST_FILES,
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries(TEST_TIERS)] },
  },
  prettier,
);
