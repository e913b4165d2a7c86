/**
 * The names a TypeScript module exports, read from its syntax tree.
 *
 * The handler check reads exports instead of importing the module: importing a handler runs its
 * module scope, which by design builds SDK clients and reads its configuration from environment
 * variables at cold start (failing fast when one is missing), so an import would need each
 * function's full environment and would pull the AWS SDK into every template test run. Parsing
 * with the TypeScript compiler is exact for every export form the project uses and costs
 * milliseconds per file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type * as TS from 'typescript';

// Loaded with Node's own require rather than an import: Jest's sandboxed module loader is
// noticeably slower than Node's for a CommonJS module this large (the 9 MB compiler).
const ts = createRequire(import.meta.url)('typescript') as typeof TS;

function hasExportModifier(node: TS.Node): boolean {
  return (
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)
  );
}

function bindingNames(name: TS.BindingName, into: Set<string>): void {
  if (ts.isIdentifier(name)) {
    into.add(name.text);
    return;
  }
  for (const element of name.elements) {
    if (!ts.isOmittedExpression(element)) bindingNames(element.name, into);
  }
}

/**
 * Exported names of the module at `file`, following `export * from './x.ts'` into relative modules.
 * Returns undefined when the file does not exist.
 */
export function exportedNames(file: string, seen = new Set<string>()): Set<string> | undefined {
  if (!existsSync(file)) return undefined;
  const names = new Set<string>();
  if (seen.has(file)) return names;
  seen.add(file);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (clause && ts.isNamedExports(clause)) {
        for (const element of clause.elements) names.add(element.name.text);
      } else if (clause && ts.isNamespaceExport(clause)) {
        names.add(clause.name.text);
      } else if (statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
        const specifier = statement.moduleSpecifier.text;
        if (specifier.startsWith('.')) {
          for (const name of exportedNames(resolve(dirname(file), specifier), seen) ?? []) names.add(name);
        }
      }
      continue;
    }
    if (ts.isExportAssignment(statement)) {
      names.add('default');
      continue;
    }
    if (!hasExportModifier(statement)) continue;
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) bindingNames(declaration.name, names);
    } else if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) &&
      statement.name !== undefined
    ) {
      const isDefault = (ts.getModifiers(statement) ?? []).some(
        (m) => m.kind === ts.SyntaxKind.DefaultKeyword,
      );
      names.add(isDefault ? 'default' : statement.name.text);
    }
  }
  return names;
}
