/**
 * Turn MWAA's `WebServerHostname` into a base URL. AWS webservers are HTTPS only; the local cloud's
 * webservers listen on loopback over plain HTTP (`127.0.0.1:<port>`), so the same function code
 * builds the right URL in both places.
 *
 * @example
 * webServerUrl('abc.c10.us-east-1.airflow.amazonaws.com') // 'https://abc.c10.us-east-1.airflow.amazonaws.com'
 * webServerUrl('127.0.0.1:49152')                        // 'http://127.0.0.1:49152'
 */
export function webServerUrl(hostname: string): string {
  const host = hostname.trim().replace(/\/+$/, '');
  if (/^https?:\/\//i.test(host))
    throw new TypeError(`WebServerHostname must not carry a scheme: ${hostname}`);
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '');
  const loopback = name === '127.0.0.1' || name.toLowerCase() === 'localhost' || name === '[::1]';
  return `${loopback ? 'http' : 'https'}://${host}`;
}
