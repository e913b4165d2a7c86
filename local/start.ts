/**
 * `npm start`: the offline demo. Until the local cloud lands (issues 3 and 4) this only says
 * what is coming; it must not fail.
 */
console.log(
  [
    'mwaa-ops offline demo',
    '',
    'The local cloud (S3, DynamoDB, Step Functions, MWAA and Airflow, an ALB with an OIDC',
    'identity provider) is not built yet. When it is, this command will boot it and walk',
    'through every capability: event-driven DAG triggers, browser SSO, pause/resume and upgrades.',
    '',
    'Meanwhile: `npm test` runs the checks, `npx mwaa-ops --help` shows the operator CLI.',
  ].join('\n'),
);
