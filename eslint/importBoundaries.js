// A local ESLint rule that keeps imports flowing one way between the project's folders.
//
// Unlike core `no-restricted-imports`, it resolves relative specifiers against the importing file
// (so `../../main/x` and `../main/x` are the same target), sees dynamic `import()`, `require()`,
// `export … from` and `import('x')` types, and applies every zone that covers a file at once
// (flat config would let a later `no-restricted-imports` block replace an earlier one's list).
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repositoryRoot = path.dirname(path.dirname(fileURLToPath(import.meta.url)))

/**
 * A zone: files under one of `files` (folders, repository-relative, ending in '/'; '' = all),
 * except those under `except`, may import only `allowOnly` or may not import `forbid`. Entries
 * ending in '/' are folders; others are packages (a package entry also covers its subpaths).
 * `forbidNames` lists named imports refused from a package (`{ electron: ['ipcMain'] }`).
 *
 * @typedef {{
 *   files: string[]
 *   except?: string[]
 *   allowOnly?: string[]
 *   forbid?: string[]
 *   forbidNames?: Record<string, string[]>
 *   message: string
 * }} Zone
 */

/** @param {string} relative @param {string} folder */
function isUnder(relative, folder) {
  return folder === '' || relative === folder.slice(0, -1) || relative.startsWith(folder)
}

/** @param {string} specifier */
function packageName(specifier) {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier)
}

/**
 * What an import points at: `{ folderPath }` for a file of this repository (repository-relative,
 * '/'-separated) or `{ packageName }` for a dependency or a Node built-in.
 *
 * @param {string} specifier @param {string} importerDirectory
 */
function importTarget(specifier, importerDirectory) {
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const absolute = path.resolve(importerDirectory, specifier)
    return { folderPath: path.relative(repositoryRoot, absolute).split(path.sep).join('/') }
  }
  return { packageName: packageName(specifier) }
}

/** @param {{ folderPath?: string, packageName?: string }} target @param {string} entry */
function matches(target, entry) {
  if (entry.endsWith('/'))
    return target.folderPath !== undefined && isUnder(target.folderPath, entry)
  return target.packageName === entry
}

/** @param {unknown} node */
function literalString(node) {
  if (!node || typeof node !== 'object') return null
  const value =
    /** @type {{ type?: string, value?: unknown, quasis?: { value: { cooked: string } }[], expressions?: unknown[], literal?: unknown }} */ (
      node
    )
  if (value.type === 'Literal' && typeof value.value === 'string') return value.value
  if (value.type === 'TemplateLiteral' && value.expressions?.length === 0)
    return value.quasis?.[0]?.value.cooked ?? null
  if (value.type === 'TSLiteralType') return literalString(value.literal)
  return null
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports flow one way between the folders of this repository.' },
    schema: [
      { type: 'object', properties: { zones: { type: 'array' } }, additionalProperties: false },
    ],
    messages: { refused: '{{specifier}}: {{message}}' },
  },
  create(context) {
    /** @type {Zone[]} */
    const zones = context.options[0]?.zones ?? []
    const file = path.relative(repositoryRoot, context.filename).split(path.sep).join('/')
    if (file.startsWith('..')) return {}
    const active = zones.filter(
      (zone) =>
        zone.files.some((folder) => isUnder(file, folder)) &&
        !(zone.except ?? []).some((folder) => isUnder(file, folder)),
    )
    if (active.length === 0) return {}
    const directory = path.dirname(context.filename)

    /** @param {import('estree').Node} node @param {string | null} specifier @param {string[]} names */
    function check(node, specifier, names = []) {
      if (specifier === null) return
      const target = importTarget(specifier, directory)
      for (const zone of active) {
        const refused =
          (zone.allowOnly && !zone.allowOnly.some((entry) => matches(target, entry))) ||
          (zone.forbid ?? []).some((entry) => matches(target, entry)) ||
          Object.entries(zone.forbidNames ?? {}).some(
            ([pkg, refusedNames]) =>
              target.packageName === pkg && names.some((name) => refusedNames.includes(name)),
          )
        if (refused) {
          context.report({ node, messageId: 'refused', data: { specifier, message: zone.message } })
          return
        }
      }
    }

    /** @param {{ type: string, imported?: { type: string, name?: string, value?: unknown }, local?: { name: string } }} specifier */
    function importedName(specifier) {
      if (specifier.type !== 'ImportSpecifier' && specifier.type !== 'ExportSpecifier') return ''
      const imported = specifier.imported ?? specifier.local
      return imported && 'name' in imported && imported.name
        ? imported.name
        : String(imported?.value ?? '')
    }

    return {
      ImportDeclaration(node) {
        check(node, literalString(node.source), node.specifiers.map(importedName))
      },
      ExportNamedDeclaration(node) {
        if (node.source) check(node, literalString(node.source), node.specifiers.map(importedName))
      },
      ExportAllDeclaration(node) {
        check(node, literalString(node.source))
      },
      ImportExpression(node) {
        check(node, literalString(node.source))
      },
      CallExpression(node) {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require')
          check(node, literalString(node.arguments[0]))
      },
      /** @param {any} node */
      TSImportEqualsDeclaration(node) {
        if (node.moduleReference?.type === 'TSExternalModuleReference')
          check(node, literalString(node.moduleReference.expression))
      },
      /** @param {any} node */
      TSImportType(node) {
        check(node, literalString(node.source ?? node.argument))
      },
      /** `electron.ipcMain`, `require('electron').ipcMain`, `const { ipcMain } = …` */
      MemberExpression(node) {
        if (node.property.type === 'Identifier' && !node.computed)
          checkName(node, node.property.name)
      },
      /** @param {any} node */
      'ObjectPattern > Property'(node) {
        if (node.key?.type === 'Identifier') checkName(node, node.key.name)
      },
    }

    /**
     * A forbidden name reached without an import specifier (member access, destructuring).
     * @param {import('estree').Node} node @param {string} name
     */
    function checkName(node, name) {
      for (const zone of active) {
        for (const [pkg, refusedNames] of Object.entries(zone.forbidNames ?? {})) {
          if (!refusedNames.includes(name)) continue
          const source = context.sourceCode.text
          if (!source.includes(`'${pkg}'`) && !source.includes(`"${pkg}"`)) continue
          context.report({
            node,
            messageId: 'refused',
            data: { specifier: `${pkg}.${name}`, message: zone.message },
          })
          return
        }
      }
    }
  },
}

export default { rules: { 'import-boundaries': rule } }
