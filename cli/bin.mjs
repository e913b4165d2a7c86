#!/usr/bin/env node
// Launcher for the `mwaa-ops` CLI. The CLI is TypeScript run directly by Node, which strips
// types natively from Node 22.18 on; the project targets Node 24. This file is plain JavaScript
// so that an older Node can still say what is wrong instead of failing on a `.ts` import.
// This launcher is for a clone of the project; the npm package (`npm run pack:cli`) ships the
// CLI compiled to bin/mwaa-ops.mjs instead, which needs no type stripping.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `mwaa-ops needs Node 24 (this is Node ${process.versions.node}). From a clone of the project, ` +
      "run it as `npx mwaa-ops ...` or through an npm script: both put the project's Node 24 " +
      '(node_modules/.bin/node) first on the PATH.\n',
  );
  process.exit(1);
}
const { main } = await import('./main.ts');
await main();
