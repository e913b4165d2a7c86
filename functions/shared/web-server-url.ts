/**
 * The base URL of an environment's Airflow webserver from the `WebServerHostname` MWAA returns.
 * Real environments are HTTPS only; the local cloud's emulated webservers listen on loopback
 * over plain HTTP, so loopback hosts get `http://` and everything else `https://`.
 */
export function webServerUrl(hostname: string): string {
  const host = hostname.trim().replace(/\/+$/, '');
  const bare = host.replace(/:\d+$/, '');
  const loopback = bare === '127.0.0.1' || bare === 'localhost' || bare === '[::1]';
  return `${loopback ? 'http' : 'https'}://${host}`;
}
