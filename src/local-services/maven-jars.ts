// Java services (Kafka, ZooKeeper) are assembled from their jars on Maven Central by a small pom in
// deploy/local/<service>/, fetched once into the state dir (a marker file names the version).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ServiceError } from '../errors';
import type { Progress } from './service';

const run = promisify(execFile);

export interface JarSet {
  service: string;
  /** Human name and version, for progress lines. */
  title: string;
  pom: string;
  version: string;
  libs: string;
}

/** Fetches the pom's dependencies into `libs` with `mvn dependency:copy-dependencies`, unless already there. */
export async function ensureJars(jars: JarSet, progress: Progress): Promise<void> {
  const marker = path.join(jars.libs, `.installed-${jars.version}`);
  if (fs.existsSync(marker)) return;
  progress(`fetching ${jars.title} jars from Maven Central into ${jars.libs} (first run only)`);
  fs.rmSync(jars.libs, { recursive: true, force: true });
  try {
    await run('mvn', ['-q', '-B', '-f', jars.pom, 'dependency:copy-dependencies', `-DoutputDirectory=${jars.libs}`], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new ServiceError('SERVICE_INSTALL_FAILED', `could not fetch ${jars.title}'s jars with Maven: ${e.message}\n${(e.stdout ?? '') + (e.stderr ?? '')}`.trim(), {
      service: jars.service,
    });
  }
  fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
}

/** The value of <NAME.version> in a pom. */
export function pomVersion(pom: string, property: string): string {
  const m = new RegExp(`<${property.replace(/\./g, '\\.')}>([^<]+)</`).exec(fs.readFileSync(pom, 'utf8'));
  if (!m) throw new ServiceError('SERVICE_INSTALL_FAILED', `${pom} has no <${property}>`);
  return m[1];
}

export function javaBinary(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}
