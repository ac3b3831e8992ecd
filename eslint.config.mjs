// ESLint (flat config): a few rules that find bugs, none about style (Prettier formats; see
// .prettierrc.json). The type-aware ones read tsconfig.json through the project service.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'ui/dist/**', 'node_modules/**', 'coverage/**'] },
  {
    files: ['src/**/*.ts', 'tests/**/*.ts', 'bench/**/*.ts', 'ui/src/**/*.{ts,tsx}'],
    languageOptions: {
      parser: tseslint.parser,
      // tsconfig.json for the hub, ui/tsconfig.json for the web UI (the nearest one to each file).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its error (an unhandled rejection ends the process):
      // await it, `.catch()` it with a log line, or mark it `void` with a comment saying why.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async function where a callback's result is ignored (an event listener) is the same leak.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      'no-var': 'error',
      'prefer-const': 'error',
      'no-debugger': 'error',
      'no-duplicate-imports': 'off',
    },
  },
  {
    // The twilio library is loaded on first use (src/channels/twilio/lib.ts): a value import
    // anywhere else would load it, and compile it, at every start of every hub.
    files: ['src/**/*.ts'],
    ignores: ['src/channels/twilio/lib.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: 'twilio', message: 'use twilioLib() from src/channels/twilio/lib.ts (loaded on first use)', allowTypeImports: true }] },
      ],
    },
  },
);
