/**
 * MWAA's restJson1 wire protocol, as `@aws-sdk/client-mwaa` sends it with `disableHostPrefix`
 * (every operation on one endpoint): routes, bodies, error shapes with `x-amzn-errortype`, and
 * the fault-injection hook in front of each operation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFault } from '../core/fault-response.ts';
import { requestId, sendJson, sendJsonError } from '../core/http.ts';
import type { ServiceContext } from '../core/service.ts';
import { handleRestApi } from './airflow/rest-api.ts';
import { compareVersions, MIN_INVOKE_REST_API_VERSION } from './airflow/versions.ts';
import { MwaaError, validationError } from './errors.ts';
import { type EnvironmentModel, isServing } from './model.ts';
import { parseSigV4 } from './sigv4.ts';
import type { AirflowIdentity, TokenStore } from './tokens.ts';
import { validateName } from './validation.ts';

const JSON_TYPE = 'application/json';

export interface ApiDeps {
  model: EnvironmentModel;
  tokens: TokenStore;
  /** Who is calling, from the request's access key id. */
  identityFor(accessKeyId: string): AirflowIdentity;
}

interface Route {
  operation: string;
  method: string;
  pattern: RegExp;
}

const ROUTES: Route[] = [
  { operation: 'ListEnvironments', method: 'GET', pattern: /^\/environments\/?$/ },
  { operation: 'CreateEnvironment', method: 'PUT', pattern: /^\/environments\/([^/]+)$/ },
  { operation: 'GetEnvironment', method: 'GET', pattern: /^\/environments\/([^/]+)$/ },
  { operation: 'UpdateEnvironment', method: 'PATCH', pattern: /^\/environments\/([^/]+)$/ },
  { operation: 'DeleteEnvironment', method: 'DELETE', pattern: /^\/environments\/([^/]+)$/ },
  { operation: 'CreateCliToken', method: 'POST', pattern: /^\/clitoken\/([^/]+)$/ },
  { operation: 'CreateWebLoginToken', method: 'POST', pattern: /^\/webtoken\/([^/]+)$/ },
  { operation: 'InvokeRestApi', method: 'POST', pattern: /^\/restapi\/([^/]+)$/ },
  { operation: 'ListTagsForResource', method: 'GET', pattern: /^\/tags\/(.+)$/ },
  { operation: 'TagResource', method: 'POST', pattern: /^\/tags\/(.+)$/ },
  { operation: 'UntagResource', method: 'DELETE', pattern: /^\/tags\/(.+)$/ },
];

const sendError = (res: ServerResponse, error: MwaaError) => {
  res.writeHead(error.status, {
    'content-type': JSON_TYPE,
    'x-amzn-errortype': error.code,
    'x-amzn-requestid': requestId(),
  });
  res.end(JSON.stringify({ ...error.fields, message: error.message, Message: error.message }));
};

export function createMwaaApi(ctx: ServiceContext, deps: ApiDeps) {
  const { model, tokens } = deps;

  const parseBody = (body: Buffer): Record<string, unknown> => {
    if (body.length === 0) return {};
    try {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new MwaaError('SerializationException', 400, 'Request body is not a JSON object.');
  };

  const usable = (name: string) => {
    const record = model.get(name);
    if (!isServing(record))
      throw validationError(`Environment ${name} is not available (status ${record.status}).`);
    return record;
  };

  const operations: Record<
    string,
    (name: string, req: IncomingMessage, body: Buffer, url: URL, akid: string) => Promise<unknown> | unknown
  > = {
    ListEnvironments(_name, _req, _body, url) {
      const max = Number(url.searchParams.get('MaxResults') ?? 25);
      if (!Number.isInteger(max) || max < 1 || max > 25)
        throw validationError('MaxResults must be between 1 and 25.');
      const names = model
        .list()
        .map((r) => r.name)
        .sort();
      const start = Number(url.searchParams.get('NextToken') ?? 0) || 0;
      const pageNames = names.slice(start, start + max);
      return {
        Environments: pageNames,
        ...(start + max < names.length ? { NextToken: String(start + max) } : {}),
      };
    },
    async CreateEnvironment(name, _req, body) {
      const record = await model.create(name, parseBody(body));
      return { Arn: record.arn };
    },
    GetEnvironment(name) {
      validateName(name);
      return { Environment: model.describe(model.get(name)) };
    },
    UpdateEnvironment(name, _req, body) {
      return { Arn: model.update(name, parseBody(body)).arn };
    },
    DeleteEnvironment(name) {
      validateName(name);
      model.delete(name);
      return {};
    },
    CreateCliToken(name, _req, _body, _url, akid) {
      const record = usable(name);
      const token = tokens.issue('cli', name, deps.identityFor(akid));
      return { CliToken: token.token, WebServerHostname: record.hostname };
    },
    CreateWebLoginToken(name, _req, _body, _url, akid) {
      const record = usable(name);
      const identity = deps.identityFor(akid);
      const token = tokens.issue('web', name, identity);
      return {
        WebToken: token.token,
        WebServerHostname: record.hostname,
        IamIdentity: identity.iamIdentity,
        AirflowIdentity: identity.airflowUser,
      };
    },
    InvokeRestApi(name, _req, body, _url, akid) {
      const record = model.get(name);
      const input = parseBody(body);
      const version = String(record.config.AirflowVersion);
      if (compareVersions(version, MIN_INVOKE_REST_API_VERSION) < 0) {
        throw validationError(
          `InvokeRestApi requires Apache Airflow ${MIN_INVOKE_REST_API_VERSION} or later; ${name} runs ${version}.`,
        );
      }
      if (!isServing(record))
        throw validationError(`Environment ${name} is not available (status ${record.status}).`);
      const method = String(input.Method ?? '');
      if (!['GET', 'PUT', 'POST', 'PATCH', 'DELETE'].includes(method)) {
        throw validationError(
          `1 validation error detected: Value '${method}' at 'method' failed to satisfy constraint: Member must satisfy enum value set: [DELETE, POST, PATCH, GET, PUT]`,
        );
      }
      if (typeof input.Path !== 'string' || input.Path.length === 0) {
        throw validationError(
          "1 validation error detected: Value null at 'path' failed to satisfy constraint: Member must not be null",
        );
      }
      // MWAA limits Path to 64 characters (InvokeRestApi API reference).
      if (input.Path.length > 64) {
        throw validationError(
          `1 validation error detected: Value '${input.Path}' at 'path' failed to satisfy constraint: Member must have length less than or equal to 64`,
        );
      }
      const query: Record<string, string | string[]> = {};
      const params = input.QueryParameters;
      if (params && typeof params === 'object') {
        for (const [k, v] of Object.entries(params as Record<string, unknown>)) {
          query[k] = Array.isArray(v) ? v.map(String) : String(v);
        }
      }
      const identity = deps.identityFor(akid);
      let result: ReturnType<typeof handleRestApi>;
      try {
        result = handleRestApi(record.airflow, {
          method,
          path: input.Path,
          query,
          body: input.Body,
          user: identity.airflowUser,
          role: identity.airflowRole,
        });
      } catch (error) {
        // An unexpected failure inside Airflow is Airflow's 500, which MWAA relays as such.
        ctx.log('mwaa', 'Airflow REST API failed', { environment: name, error: String(error) });
        result = {
          status: 500,
          contentType: 'application/json',
          body: {
            detail: 'Internal Server Error',
            status: 500,
            title: 'Internal Server Error',
            type: 'about:blank',
          },
        };
      }
      const response = result.body ?? {};
      if (result.status >= 500) {
        throw new MwaaError(
          'RestApiServerException',
          400,
          'The Apache Airflow REST API call failed on the server.',
          {
            RestApiStatusCode: result.status,
            RestApiResponse: response,
          },
        );
      }
      if (result.status >= 400) {
        throw new MwaaError('RestApiClientException', 400, 'The Apache Airflow REST API call was rejected.', {
          RestApiStatusCode: result.status,
          RestApiResponse: response,
        });
      }
      return { RestApiStatusCode: result.status, RestApiResponse: response };
    },
    ListTagsForResource(arn) {
      return { Tags: recordByArn(arn).config.Tags ?? {} };
    },
    TagResource(arn, _req, body) {
      const record = recordByArn(arn);
      const tags = (parseBody(body).Tags ?? {}) as Record<string, string>;
      record.config.Tags = { ...(record.config.Tags as Record<string, string>), ...tags };
      return {};
    },
    UntagResource(arn, _req, _body, url) {
      const record = recordByArn(arn);
      const tags = { ...(record.config.Tags as Record<string, string>) };
      for (const key of url.searchParams.getAll('tagKeys')) delete tags[key];
      record.config.Tags = tags;
      return {};
    },
  };

  const recordByArn = (arn: string) => {
    const record = model.list().find((r) => r.arn === arn);
    if (!record) throw new MwaaError('ResourceNotFoundException', 404, `Resource ${arn} was not found.`);
    return record;
  };

  return async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const route = ROUTES.find((r) => r.method === method && r.pattern.test(url.pathname));
    if (!route) {
      sendJsonError(
        res,
        404,
        'UnknownOperationException',
        `No MWAA operation for ${method} ${url.pathname}`,
        JSON_TYPE,
      );
      return;
    }
    const name = decodeURIComponent(route.pattern.exec(url.pathname)?.[1] ?? '');
    const outcome = await applyFault(ctx.faults.take('mwaa', route.operation), res, (fault) =>
      sendError(res, new MwaaError(fault.error, fault.status, fault.message)),
    );
    if (outcome === 'handled') return;
    try {
      const amzDate = req.headers['x-amz-date'];
      const credential = parseSigV4(req.headers.authorization, Array.isArray(amzDate) ? amzDate[0] : amzDate);
      const output = await operations[route.operation]?.(name, req, body, url, credential.accessKeyId);
      sendJson(res, 200, output ?? {}, JSON_TYPE);
    } catch (error) {
      if (error instanceof MwaaError) {
        sendError(res, error);
        return;
      }
      ctx.log('mwaa', 'internal error', { operation: route.operation, error: String(error) });
      sendError(
        res,
        new MwaaError(
          'InternalServerException',
          500,
          'InternalServerException: An internal error has occurred.',
        ),
      );
    }
  };
}
