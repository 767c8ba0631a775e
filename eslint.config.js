// Layer rules: imports flow one way. Each block says what a folder may not import and why.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'

const onlyHostMayUseOnnx = {
  name: 'onnxruntime-node',
  message: 'Only main/inference/host/ may import onnxruntime-node: session.run blocks its thread.',
}
const onlyIpcMayUseIpcMain = {
  name: 'electron',
  importNames: ['ipcMain'],
  message: 'Only main/ipc/ may touch ipcMain: register handlers through the IPC router.',
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'out/**',
      'dist/**',
      'release/**',
      'test/fixtures/**',
      'native-models/glide-mini/**',
      'native-models/training/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'scripts/*.js', 'bin/*.js'] },
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      'no-restricted-imports': ['error', { paths: [onlyHostMayUseOnnx, onlyIpcMayUseIpcMain] }],
    },
  },
  {
    files: ['contract/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!zod$)(?!\\.{1,2}/)',
              message: 'contract/ imports nothing but zod and itself: it is neutral ground.',
            },
            {
              group: ['../main/**', '../renderer/**', '../preload/**'],
              message: 'contract/ imports no runtime.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [
            onlyHostMayUseOnnx,
            { name: 'electron', message: 'The renderer talks to main only through window.glide.' },
          ],
          patterns: [
            {
              group: ['**/main/**', '**/preload/**'],
              message: 'The renderer never imports main or preload; use contract/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/src/editor/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'react', message: 'The editor engine does not depend on React.' },
            { name: 'react-dom', message: 'The editor engine does not depend on React.' },
          ],
          patterns: [
            {
              group: ['**/main/**', '**/preload/**', '**/bridge/**', '**/ui/**'],
              message: 'The editor engine imports neither the IPC bridge nor the UI.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['main/engine/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            onlyHostMayUseOnnx,
            { name: 'electron', message: 'The engine runs in any Node process; no Electron.' },
          ],
          patterns: [
            {
              group: ['**/renderer/**', '**/inference/**', '**/ipc/**'],
              message: 'The engine imports only contract/ and itself.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['main/inference/host/**', 'test/**', 'bench/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['main/ipc/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [onlyHostMayUseOnnx] }] },
  },
  {
    files: ['main/cli/**', 'scripts/**', 'bin/**', 'bench/**', 'native-models/eval/**'],
    rules: { 'no-console': 'off' },
  },
)
