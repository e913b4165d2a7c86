/**
 * The fields IdlePauseFunction reads (functions/idle-pause/airflow-state.ts) against the REST API
 * spec that real Airflow ships in its package (`airflow/api_connexion/openapi/v1.yaml`), read with
 * the venv's own Python and PyYAML: a renamed or missing field fails here, not in production
 * where a missing next-run field silently reads as "due now" and the environment never pauses.
 */
import { describe, expect, it } from '@jest/globals';
import { BUSY_STATES, DAG_FIELDS } from '../../functions/idle-pause/airflow-state.ts';
import { venvBin } from '../../scripts/python-env.ts';
import { runCommand } from '../helpers/real-airflow.ts';

const SCRIPT = `
import importlib.util, json, pathlib, yaml
# find_spec locates the package without importing it (importing airflow initialises it).
package = pathlib.Path(importlib.util.find_spec("airflow").origin).parent
spec = yaml.safe_load((package / "api_connexion/openapi/v1.yaml").read_text())
schemas = spec["components"]["schemas"]
def props(name):
    schema = schemas[name]
    out = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        if "$ref" in part: out.update(props(part["$ref"].split("/")[-1]))
        out.update(part.get("properties", {}))
    return out
runs = spec["paths"]["/dags/{dag_id}/dagRuns"]["get"]
params = [p.get("name") or p["$ref"].split("/")[-1] for p in runs.get("parameters", []) + spec["paths"]["/dags/{dag_id}/dagRuns"].get("parameters", [])]
print(json.dumps({
  "dag": {k: {"type": v.get("type"), "format": v.get("format"), "nullable": v.get("nullable", False)} for k, v in props("DAG").items()},
  "dagCollection": sorted(props("DAGCollection")),
  "runCollection": sorted(props("DAGRunCollection")),
  "runParams": params,
  "states": schemas["DagState"]["enum"],
}))
`;

describe.each(['2.10.3', '2.11.0'])('Airflow %s REST API: the fields the idle check reads', (version) => {
  const read = async () => {
    const result = await runCommand(venvBin(`airflow-${version}`, 'python'), ['-c', SCRIPT], {});
    expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    return JSON.parse(result.stdout) as {
      dag: Record<string, { type?: string; format?: string; nullable: boolean }>;
      dagCollection: string[];
      runCollection: string[];
      runParams: string[];
      states: string[];
    };
  };

  it('has is_paused, is_active and a nullable date-time next_dagrun_create_after on DAG', async () => {
    const spec = await read();
    const fields = DAG_FIELDS[2];
    expect(spec.dag[fields.paused]?.type).toBe('boolean');
    expect(spec.dag[fields.active]?.type).toBe('boolean');
    expect(spec.dag[fields.nextRunAfter]).toEqual({ type: 'string', format: 'date-time', nullable: true });
    expect(spec.dagCollection).toEqual(expect.arrayContaining(['dags', 'total_entries']));
  }, 120_000);

  it('lists runs by state with a total_entries count, and knows the busy states', async () => {
    const spec = await read();
    expect(spec.runCollection).toEqual(expect.arrayContaining(['dag_runs', 'total_entries']));
    expect(spec.runParams).toEqual(expect.arrayContaining(['FilterState', 'PageLimit']));
    for (const state of BUSY_STATES) expect(spec.states).toContain(state);
  }, 120_000);
});
