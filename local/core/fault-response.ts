/**
 * Applying an injected fault at the HTTP layer, for emulators and for the thin proxies in front
 * of s3rver and dynalite. Each protocol supplies how an error body looks; this file decides
 * what a fault *does*: answer with an error, add latency, or drop the connection.
 */
import type { ServerResponse } from 'node:http';
import type { ActiveFault } from './faults.ts';

/** The fault's latency, if any, then: `'proceed'` (serve normally), `'handled'` (response done). */
export async function applyFault(
  fault: ActiveFault | undefined,
  res: ServerResponse,
  sendError: (fault: ActiveFault) => void,
): Promise<'proceed' | 'handled'> {
  if (!fault) return 'proceed';
  if (fault.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  if (fault.error === 'Latency') return 'proceed';
  if (fault.error === 'Timeout') {
    // What a client sees when AWS never answers: the connection ends without a response.
    // With `delayMs` the client's own socket timeout can fire first, as it would against AWS.
    res.socket?.destroy();
    return 'handled';
  }
  sendError(fault);
  return 'handled';
}
