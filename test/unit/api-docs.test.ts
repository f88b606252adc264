// Every public export (ftps-client and ftps-client/testing) carries a TSDoc comment, and so does every
// public member of an exported class or interface: the API reference (docs/api/, `npm run docs:api`)
// is generated from them, so an undocumented one is a hole in it. Members marked @internal are left
// out of the reference and need no comment. (TypeDoc's own check, run by `npm run docs:api`, also
// covers nested object types and inherited members.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ENTRIES = ['../../src/index.ts', '../../src/testing/index.ts'].map((p) =>
  fileURLToPath(new URL(p, import.meta.url)),
);

const hasDoc = (node: ts.Node): boolean => ts.getJSDocCommentsAndTags(node).length > 0;
const isInternal = (node: ts.Node): boolean => ts.getJSDocTags(node).some((t) => t.tagName.text === 'internal');

/** Members a user can reach: not private (keyword or #name), not the constructor, not index signatures. */
function publicMembers(decl: ts.Declaration): ts.NamedDeclaration[] {
  const members: readonly ts.Node[] =
    ts.isClassDeclaration(decl) || ts.isInterfaceDeclaration(decl) ? decl.members : [];
  return members.filter((m): m is ts.NamedDeclaration => {
    if (ts.isConstructorDeclaration(m) || ts.isIndexSignatureDeclaration(m) || ts.isClassStaticBlockDeclaration(m))
      return false;
    const name = (m as ts.NamedDeclaration).name;
    if (name === undefined || ts.isPrivateIdentifier(name)) return false;
    const flags = ts.getCombinedModifierFlags(m as ts.Declaration);
    return (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) === 0;
  });
}

function undocumented(): string[] {
  const program = ts.createProgram(ENTRIES, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
  });
  const checker = program.getTypeChecker();
  const missing: string[] = [];
  for (const entry of ENTRIES) {
    const source = program.getSourceFile(entry);
    const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    assert.ok(moduleSymbol !== undefined, `${entry} has exports`);
    const where = entry.includes('testing') ? 'ftps-client/testing' : 'ftps-client';
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declarations = symbol.declarations ?? [];
      const documented = symbol.getDocumentationComment(checker).length > 0 || declarations.some(hasDoc);
      if (!documented) missing.push(`${where}: ${exported.name}`);
      for (const decl of declarations) {
        for (const member of publicMembers(decl)) {
          if (hasDoc(member) || isInternal(member)) continue;
          // Overloads and get/set pairs: one comment on any declaration of the member is enough.
          const memberSymbol = member.name === undefined ? undefined : checker.getSymbolAtLocation(member.name);
          if ((memberSymbol?.declarations ?? []).some(hasDoc)) continue;
          missing.push(`${where}: ${exported.name}.${member.name?.getText() ?? '?'}`);
        }
      }
    }
  }
  return [...new Set(missing)];
}

test('every public export, and every public member of an exported class or interface, has a TSDoc comment', () => {
  assert.deepEqual(undocumented(), []);
});

test('the member check finds what lacks a comment, and skips private and #private members (it can fail)', () => {
  const text = [
    'export interface A {',
    '  /** doc */',
    '  a?: number;',
    '  gap?: string;',
    '}',
    'export class B {',
    '  /** x */',
    '  x = 1;',
    '  y = 2;',
    '  #z = 3;',
    '  private w = 4;',
    '}',
  ].join('\n');
  const source = ts.createSourceFile('gap.ts', text, ts.ScriptTarget.ES2022, true);
  const found = source.statements
    .filter((s) => ts.isInterfaceDeclaration(s) || ts.isClassDeclaration(s))
    .flatMap((d) => [
      ...(hasDoc(d) ? [] : [d.name?.getText()]),
      ...publicMembers(d)
        .filter((m) => !hasDoc(m))
        .map((m) => m.name?.getText()),
    ]);
  assert.deepEqual(found, ['A', 'gap', 'B', 'y']);
});
