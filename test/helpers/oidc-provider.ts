// A real OpenID provider for the single sign-on tests: test/oidc-provider (zitadel/oidc's example
// provider with a groups claim), built with the machine's Go from the Go module proxy (go.mod and go.sum
// pin github.com/zitadel/oidc/v3 v3.52.0) into the state directory, and run on 127.0.0.1 with its own
// users, groups and one confidential client.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SOURCE = path.resolve(__dirname, '..', 'oidc-provider');

export interface ProviderUser {
  id: string;
  username: string;
  password: string;
  email: string;
  groups: string[];
}

export interface OidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** What the provider wrote (stderr): for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

/** Builds the provider (Go caches the build: seconds after the first time) and returns the binary's path. */
export function buildProvider(): string {
  const dir = path.join(process.env.INSIDER_STATE_DIR ?? path.join(os.tmpdir(), 'insider-state'), 'oidc-provider');
  fs.mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, 'oidc-test-provider');
  const r = spawnSync('go', ['build', '-o', bin, '.'], { cwd: SOURCE, encoding: 'utf8', timeout: 900_000, env: { ...process.env, CGO_ENABLED: '0' } });
  if (r.status !== 0) throw new Error(`go build of the OpenID test provider failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
  return bin;
}

export async function startProvider(opts: { port: number; redirectUri: string; users: ProviderUser[] }): Promise<OidcProvider> {
  const bin = buildProvider();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-oidc-'));
  const users = Object.fromEntries(
    opts.users.map((u) => [u.id, { ID: u.id, Username: u.username, Password: u.password, FirstName: u.username, LastName: 'Test', Email: u.email, EmailVerified: true, PreferredLanguage: 'en' }]),
  );
  fs.writeFileSync(path.join(work, 'users.json'), JSON.stringify(users));
  fs.writeFileSync(path.join(work, 'groups.json'), JSON.stringify(Object.fromEntries(opts.users.map((u) => [u.id, u.groups]))));
  const issuer = `http://127.0.0.1:${opts.port}/`;
  const clientId = 'insider-dashboard';
  const clientSecret = 'provider-test-client-secret-0123456789';
  const child: ChildProcess = spawn(bin, [], {
    env: { PATH: process.env.PATH, PORT: String(opts.port), ISSUER: issuer, USERS_FILE: path.join(work, 'users.json'), GROUPS_FILE: path.join(work, 'groups.json'), CLIENT_ID: clientId, CLIENT_SECRET: clientSecret, REDIRECT_URI: opts.redirectUri },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    fs.rmSync(work, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    const ok = await fetch(`${issuer}.well-known/openid-configuration`).then((r) => r.ok, () => false);
    if (ok) return { issuer, clientId, clientSecret, output: () => output, stop };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`the OpenID test provider did not start on ${issuer}:\n${output}`);
}
