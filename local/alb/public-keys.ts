/**
 * The regional public-key endpoint (`https://public-keys.auth.elb.<region>.amazonaws.com`):
 * `GET /<kid>` answers the PEM public key for that key id. Anything else is 404.
 */
import { type RunningServer, startServer } from '../core/http.ts';
import type { KeyRing } from './keys.ts';

export function startPublicKeyEndpoint(keys: KeyRing): Promise<RunningServer> {
  return startServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const kid = decodeURIComponent(path.slice(1));
    const pem = req.method === 'GET' && !kid.includes('/') ? keys.publicKeyPem(kid) : undefined;
    if (!pem) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-pem-file', 'cache-control': 'max-age=86400' });
    res.end(pem);
  });
}
