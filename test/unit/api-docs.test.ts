// Every public export (ftps-client and ftps-client/testing) carries a TSDoc comment: the API
// reference is generated from them, so an undocumented export is a hole in it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ENTRIES = ['../../src/index.ts', '../../src/testing/index.ts'].map((p) => fileURLToPath(new URL(p, import.meta.url)));

function undocumented(): string[] {
  const program = ts.createProgram(ENTRIES, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 });
  const checker = program.getTypeChecker();
  const missing: string[] = [];
  for (const entry of ENTRIES) {
    const source = program.getSourceFile(entry);
    const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    assert.ok(moduleSymbol !== undefined, `${entry} has exports`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const documented = (symbol.getDocumentationComment(checker).length > 0) || (symbol.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0);
      if (!documented) missing.push(`${entry.includes('testing') ? 'ftps-client/testing' : 'ftps-client'}: ${exported.name}`);
    }
  }
  return missing;
}

// A ratchet, not a pass: these exports still lack a comment (found when this check was added). The
// list may only shrink: a new undocumented export fails, and so does an entry that got documented
// (delete it here). When it is empty, the test demands full coverage.
const KNOWN_GAPS: ReadonlySet<string> = new Set([
  'ftps-client/testing: FakeFtpServer',
  'ftps-client/testing: FakeServerOptions',
  'ftps-client/testing: FakeServerMode',
  'ftps-client/testing: TransferFault',
  'ftps-client/testing: Hook',
  'ftps-client/testing: HookContext',
]);

test('every public export has a TSDoc comment (except the known gaps, which may only shrink)', () => {
  const missing = undocumented();
  assert.deepEqual(missing.filter((m) => !KNOWN_GAPS.has(m)), [], 'new undocumented exports');
  assert.deepEqual([...KNOWN_GAPS].filter((m) => !missing.includes(m)), [], 'documented now: remove from KNOWN_GAPS');
});
