/**
 * What an environment's Airflow version means for how we talk to it.
 * Airflow 2.x serves the stable REST API under /api/v1, Airflow 3.x under /api/v2; MWAA's
 * InvokeRestApi works on environments running Airflow 2.4.3 or later.
 */
export type ApiVersion = 'v1' | 'v2';

export function parseVersion(version: string): [number, number, number] {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  if (!match) throw new TypeError(`Not an Airflow version: "${version}"`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  for (let i = 0; i < 3; i += 1) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

export function apiVersionFor(airflowVersion: string): ApiVersion {
  return parseVersion(airflowVersion)[0] >= 3 ? 'v2' : 'v1';
}

export function supportsInvokeRestApi(airflowVersion: string): boolean {
  return compareVersions(airflowVersion, '2.4.3') >= 0;
}
