// Layer rules: imports flow one way. Each zone says what a folder may (not) import and why; every
// zone covering a file applies at once (see eslint/importBoundaries.js).
// test/lint/importBoundaries.test.ts plants each forbidden import and checks that lint refuses it.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import boundaries from './eslint/importBoundaries.js'

/** @type {import('./eslint/importBoundaries.js').Zone[]} */
const zones = [
  {
    files: ['contract/'],
    allowOnly: ['contract/', 'zod'],
    message: 'contract/ imports nothing but zod and itself: it is neutral ground, no runtime.',
  },
  {
    files: ['imaging/'],
    allowOnly: ['imaging/', 'contract/'],
    message:
      'imaging/ is pure and shared by main and renderer: it imports only itself and contract/.',
  },
  {
    files: ['renderer/'],
    forbid: ['main/', 'preload/', 'electron', 'onnxruntime-node'],
    message:
      'The renderer talks to main only through window.glide; share code via contract/ or imaging/.',
  },
  {
    files: ['renderer/src/editor/'],
    forbid: ['react', 'react-dom', 'konva', 'renderer/src/bridge/', 'renderer/src/ui/'],
    message: 'The editor engine is plain TypeScript: no React, Konva, IPC bridge or UI.',
  },
  {
    files: ['preload/'],
    forbid: ['main/', 'renderer/'],
    message: 'The preload exposes contract/ over IPC; it imports neither main nor the renderer.',
  },
  {
    files: ['main/'],
    forbid: ['renderer/', 'preload/'],
    message:
      'main never imports the renderer or the preload; share code via contract/ or imaging/.',
  },
  {
    files: ['main/engine/'],
    forbid: ['main/jobs/', 'main/app/', 'main/ipc/', 'main/inference/', 'main/server/', 'electron'],
    message:
      'The engine runs in any Node process: no jobs, app, IPC, server, inference client or Electron.',
  },
  {
    files: [''],
    except: ['main/inference/host/', 'test/', 'bench/'],
    forbid: ['onnxruntime-node'],
    message:
      'Only main/inference/host/ may import onnxruntime-node: session.run blocks its thread.',
  },
  {
    files: [''],
    except: ['main/ipc/', 'test/'],
    forbidNames: { electron: ['ipcMain'] },
    message: 'Only main/ipc/ may touch ipcMain: register handlers through the IPC router.',
  },
]

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
        projectService: {
          allowDefaultProject: ['*.js', 'scripts/*.js', 'bin/*.js', 'eslint/*.js'],
        },
      },
    },
    plugins: { boundaries },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      'boundaries/import-boundaries': ['error', { zones }],
    },
  },
  {
    files: ['renderer/**'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    files: ['main/cli/**', 'scripts/**', 'bin/**', 'bench/**', 'native-models/eval/**'],
    rules: { 'no-console': 'off' },
  },
)
