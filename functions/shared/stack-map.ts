/**
 * Source-mapped stack traces, worked out when an error is logged instead of at every module load.
 *
 * The template used to set NODE_OPTIONS=--enable-source-maps. Node then reads and decodes the
 * source map of every bundle file as it loads it: at init, and again for each chunk the first
 * invocation loads, whether or not anything ever fails (docs/benchmarks.md has the cost). Here a
 * map is read only when a stack that names its file is logged, and kept for the container's life.
 *
 * The result reads as --enable-source-maps prints it for these bundles: each bundle frame's
 * `file:///…/x.mjs:line:column` becomes the absolute path, line and column of the TypeScript
 * source; the function name stays what V8 reports. Frames outside the bundle (node:, paths
 * without a map beside them) are left as they are. esbuild writes each map as `<file>.map`.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

// A bundle location in a V8 frame: ESM modules are named by their file URL.
const BUNDLE_LOCATION = /(file:\/\/[^\s()]+?\.m?js):(\d+):(\d+)/g;

const maps = new Map<string, SourceMap | null>();

/** A source's absolute path (file URLs) or URL, resolved against the map as Node does. */
function resolveSource(source: string, sourceRoot: string, mapUrl: string): string {
  const url = new URL(sourceRoot + source, mapUrl);
  return url.protocol === 'file:' ? fileURLToPath(url) : url.href;
}

function sourceMapOf(fileUrl: string): SourceMap | null {
  let map = maps.get(fileUrl);
  if (map !== undefined) return map;
  try {
    const mapUrl = `${fileUrl}.map`;
    const payload = JSON.parse(readFileSync(new URL(mapUrl), 'utf8')) as {
      sources: string[];
      sourceRoot?: string;
    };
    const root = payload.sourceRoot ?? '';
    payload.sources = payload.sources.map((source) => resolveSource(source, root, mapUrl));
    delete payload.sourceRoot;
    map = new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]);
  } catch {
    // No map beside the file (or an unreadable one): its frames stay as V8 wrote them.
    map = null;
  }
  maps.set(fileUrl, map);
  return map;
}

/** `stack` with every bundle location that has a source map replaced by the source's. */
export function mapStack(stack: string): string {
  return stack.replace(BUNDLE_LOCATION, (location: string, fileUrl: string, line: string, column: string) => {
    const entry = sourceMapOf(fileUrl)?.findEntry(Number(line) - 1, Number(column) - 1);
    if (entry === undefined || !('originalSource' in entry)) return location;
    return `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

/**
 * Runs a module's cold-start setup (reading its configuration). Lambda logs an error thrown
 * there itself, outside our logger, so the error leaves with its stack already mapped.
 */
export function atInit<T>(setup: () => T): T {
  try {
    return setup();
  } catch (error) {
    if (error instanceof Error && typeof error.stack === 'string') error.stack = mapStack(error.stack);
    throw error;
  }
}
