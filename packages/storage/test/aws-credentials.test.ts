import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isRwsError } from '@rws/core';
import { Agent } from '@rws/http1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createS3Storage,
  defaultAwsCredentials,
  fromContainerCredentials,
  fromInstanceMetadata,
  fromWebIdentity,
} from '../src/drivers/s3.js';
import { type S3Server, startS3Server } from './support/s3-server.js';

// Real HTTP servers on port 0 stand in for STS, the ECS/EKS container endpoint and EC2 IMDS;
// the temporary credentials they hand out are registered in the test S3 server, which then
// requires the session token on every request.
type Route = (req: IncomingMessage, body: string, res: ServerResponse) => void;

async function fakeEndpoint(
  route: Route,
): Promise<{ url: string; calls: string[]; server: Server }> {
  const calls: string[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    calls.push(`${req.method} ${req.url}`);
    route(req, body, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
}

const servers: Server[] = [];
let s3: S3Server;
let dir: string;
const agent = new Agent();

beforeAll(async () => {
  s3 = await startS3Server({ buckets: ['creds'], credentials: [] });
  dir = await mkdtemp(path.join(tmpdir(), 'rws-storage-creds-'));
});
afterAll(async () => {
  await agent.close();
  await s3.close();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await rm(dir, { recursive: true, force: true });
});

/** Fresh temporary credentials, registered with the S3 server. */
function issue(expiresInMs: number) {
  const creds = {
    accessKeyId: `ASIA${randomUUID().slice(0, 8).toUpperCase()}`,
    secretAccessKey: randomUUID(),
    sessionToken: `token-${randomUUID()}`,
  };
  s3.addCredentials(creds);
  return { ...creds, expiration: new Date(Date.now() + expiresInMs).toISOString() };
}

describe('web identity (EKS IRSA)', () => {
  it('exchanges the token file at STS, and the S3 driver signs with the session token', async () => {
    const tokenFile = path.join(dir, 'token');
    await writeFile(tokenFile, 'eyJ.web-identity.token\n');
    const seen: URLSearchParams[] = [];
    const sts = await fakeEndpoint((_req, body, res) => {
      const form = new URLSearchParams(body);
      seen.push(form);
      const c = issue(3_600_000);
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>${c.accessKeyId}</AccessKeyId><SecretAccessKey>${c.secretAccessKey}</SecretAccessKey><SessionToken>${c.sessionToken}</SessionToken><Expiration>${c.expiration}</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
        );
    });
    const env = {
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/app',
      AWS_ROLE_SESSION_NAME: 'pod-1',
      AWS_ENDPOINT_URL_STS: sts.url,
    };
    expect(typeof defaultAwsCredentials(env)).toBe('function');
    await using storage = createS3Storage({ endpoint: s3.endpoint, bucket: 'creds', env });
    await storage.put('irsa.txt', 'via web identity');
    expect(await new Response((await storage.get('irsa.txt'))?.body).text()).toBe(
      'via web identity',
    );
    // Cached: one STS call for several requests.
    expect(sts.calls).toEqual(['POST /']);
    expect(seen[0]?.get('Action')).toBe('AssumeRoleWithWebIdentity');
    expect(seen[0]?.get('WebIdentityToken')).toBe('eyJ.web-identity.token');
    expect(seen[0]?.get('RoleArn')).toBe('arn:aws:iam::123456789012:role/app');
    expect(seen[0]?.get('RoleSessionName')).toBe('pod-1');
    const signed = s3.requests.at(-1);
    expect(signed?.headers['x-amz-security-token']).toMatch(/^token-/);
  });

  it('an STS refusal is RWS_STORAGE_CREDENTIALS_UNAVAILABLE naming STS and its code', async () => {
    const tokenFile = path.join(dir, 'token2');
    await writeFile(tokenFile, 'expired-token');
    const sts = await fakeEndpoint((_req, _body, res) => {
      res
        .writeHead(400)
        .end('<ErrorResponse><Error><Code>ExpiredTokenException</Code></Error></ErrorResponse>');
    });
    const provider = fromWebIdentity({
      tokenFile,
      roleArn: 'arn:aws:iam::1:role/x',
      stsEndpoint: sts.url,
    });
    const error = await provider({ agent }).catch((err: unknown) => err);
    expect(isRwsError(error, 'RWS_STORAGE_CREDENTIALS_UNAVAILABLE')).toBe(true);
    expect(String(error)).toContain('STS answered 400 ExpiredTokenException');
    const missing = fromWebIdentity({ tokenFile: path.join(dir, 'nope'), roleArn: 'r', env: {} });
    await expect(missing({ agent })).rejects.toThrow(/cannot read the token file/);
  });
});

describe('container credentials (ECS task role, EKS Pod Identity)', () => {
  it('reads the relative URI, and the full URI with its authorization token file', async () => {
    const auth: (string | undefined)[] = [];
    const ecs = await fakeEndpoint((req, _body, res) => {
      auth.push(req.headers.authorization);
      const c = issue(3_600_000);
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          AccessKeyId: c.accessKeyId,
          SecretAccessKey: c.secretAccessKey,
          Token: c.sessionToken,
          Expiration: c.expiration,
        }),
      );
    });
    const relative = fromContainerCredentials({
      env: { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc' },
      relativeUriBase: ecs.url,
    });
    await using storage = createS3Storage({
      endpoint: s3.endpoint,
      bucket: 'creds',
      credentials: relative,
    });
    await storage.put('ecs.txt', 'task role');
    expect(ecs.calls).toEqual(['GET /v2/credentials/abc']);

    const tokenFile = path.join(dir, 'pod-identity-token');
    await writeFile(tokenFile, 'pod-token\n');
    const full = fromContainerCredentials({
      env: {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${ecs.url}/v1/credentials`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      },
    });
    expect((await full({ agent })).sessionToken).toMatch(/^token-/);
    expect(auth.at(-1)).toBe('pod-token');
  });

  it('a plain-HTTP full URI outside loopback and the agent addresses is refused', async () => {
    const provider = fromContainerCredentials({
      env: { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://203.0.113.5/creds' },
    });
    await expect(provider({ agent })).rejects.toThrow(/not allowed/);
  });
});

describe('EC2 instance metadata (IMDSv2)', () => {
  it('gets a session token with PUT, then the role and its credentials with it', async () => {
    let expiresInMs = 3_600_000;
    let isBroken = false;
    const imds = await fakeEndpoint((req, _body, res) => {
      if (req.method === 'PUT' && req.url === '/latest/api/token') {
        if (req.headers['x-aws-ec2-metadata-token-ttl-seconds'] === undefined) {
          return void res.writeHead(400).end();
        }
        return void res.end('imds-session-token');
      }
      if (req.headers['x-aws-ec2-metadata-token'] !== 'imds-session-token') {
        return void res.writeHead(401).end();
      }
      if (isBroken) return void res.writeHead(500).end();
      if (req.url === '/latest/meta-data/iam/security-credentials/')
        return void res.end('app-role\n');
      if (req.url === '/latest/meta-data/iam/security-credentials/app-role') {
        const c = issue(expiresInMs);
        return void res.end(
          JSON.stringify({
            Code: 'Success',
            Type: 'AWS-HMAC',
            AccessKeyId: c.accessKeyId,
            SecretAccessKey: c.secretAccessKey,
            Token: c.sessionToken,
            Expiration: c.expiration,
          }),
        );
      }
      res.writeHead(404).end();
    });
    const provider = fromInstanceMetadata({ endpoint: imds.url });
    await using storage = createS3Storage({
      endpoint: s3.endpoint,
      bucket: 'creds',
      credentials: provider,
    });
    await storage.put('ec2.txt', 'instance role');
    expect((await storage.head('ec2.txt'))?.size).toBe(13);
    expect(imds.calls).toEqual([
      'PUT /latest/api/token',
      'GET /latest/meta-data/iam/security-credentials/',
      'GET /latest/meta-data/iam/security-credentials/app-role',
    ]);

    // Credentials inside the refresh window (5 minutes before expiry) are fetched again.
    const fresh = fromInstanceMetadata({ endpoint: imds.url });
    expiresInMs = 60_000;
    const first = await fresh({ agent });
    const second = await fresh({ agent });
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    // A failed refresh keeps serving credentials that have not actually expired yet.
    isBroken = true;
    expect((await fresh({ agent })).accessKeyId).toBe(second.accessKeyId);
  });

  it('no metadata service: RWS_STORAGE_CREDENTIALS_UNAVAILABLE after the timeout', async () => {
    const silent = await fakeEndpoint(() => {
      // Never answers: the provider's timeout must end the wait.
    });
    const provider = fromInstanceMetadata({ endpoint: silent.url, timeoutMs: 300 });
    const error = await provider({ agent }).catch((err: unknown) => err);
    expect(isRwsError(error, 'RWS_STORAGE_CREDENTIALS_UNAVAILABLE')).toBe(true);
    expect(String(error)).toContain('no answer');
    silent.server.closeAllConnections();
  });
});

describe('default chain', () => {
  it('prefers static keys, then web identity, then the container endpoint; IMDS never guessed', () => {
    expect(defaultAwsCredentials({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' })).toEqual({
      accessKeyId: 'a',
      secretAccessKey: 's',
    });
    expect(typeof defaultAwsCredentials({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/x' })).toBe(
      'function',
    );
    expect(defaultAwsCredentials({})).toBeNull();
    expect(() => createS3Storage({ bucket: 'b', env: {} })).toThrow(/fromInstanceMetadata/);
  });
});
