// The Helm chart (deploy/helm/insider-detector) rendered by the real Helm with several sets of values;
// every object it renders is checked against the Kubernetes schemas of the npm package
// kubernetes-models (KEDA's from @kubernetes-models/keda), and against what the product needs: probes on
// the health routes, resource requests, secrets from a Secret only, one notifier, lag-based scaling,
// disruption budgets, and a configuration file the product itself accepts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { loadConfig } from '../../src/config';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureHelm } = require('../../scripts/helm.js') as { ensureHelm: () => string };

const CHART = path.join(__dirname, '..', '..', 'deploy', 'helm', 'insider-detector');
type Obj = { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec?: Record<string, unknown>; data?: Record<string, string> };
type Container = Record<string, unknown> & { name: string; livenessProbe?: Probe; readinessProbe?: Probe; startupProbe?: Probe; resources?: { requests?: Record<string, string> }; env?: Array<{ name: string; value?: string }>; envFrom?: Array<{ secretRef?: { name: string } }>; ports: Array<{ containerPort: number }> };
type Probe = { httpGet: { path: string; port: number } };

function helm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(ensureHelm(), args, { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function render(values: Record<string, unknown> = {}, extra: string[] = []): Obj[] {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'chart-')), 'values.yaml');
  fs.writeFileSync(file, YAML.stringify(values));
  const out = helm(['template', 'insider', CHART, '--namespace', 'security', '-f', file, ...extra]);
  if (out.status !== 0) throw new Error(`helm template failed: ${out.stderr}`);
  return YAML.parseAllDocuments(out.stdout)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

/** The kubernetes-models class of an object's apiVersion and kind. */
function modelOf(o: Obj): new (data: unknown) => { validate(): void } {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const module = group === 'keda.sh' ? `@kubernetes-models/keda/keda.sh/${version}` : `kubernetes-models/${group ? `${group}/` : ''}${version}`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const model = (require(module) as Record<string, new (data: unknown) => { validate(): void }>)[o.kind];
  if (!model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  return model;
}

/**
 * kubernetes-models' validators accept unknown fields, so the keys of the parts the chart writes most
 * (deployment spec, pod spec, container) are also checked against the models' own declarations.
 */
function declaredKeys(file: string): Set<string> {
  const text = fs.readFileSync(path.join(path.dirname(require.resolve('kubernetes-models')), file), 'utf8');
  return new Set([...text.matchAll(/^ {4}"?([A-Za-z0-9_$]+)"?\??: /gm)].map((m) => m[1]));
}
const KNOWN = { deploymentSpec: declaredKeys('apps/v1/DeploymentSpec.d.ts'), podSpec: declaredKeys('v1/PodSpec.d.ts'), container: declaredKeys('v1/Container.d.ts') };

function schemaProblems(objects: Obj[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    try {
      new (modelOf(o))(o).validate();
    } catch (err) {
      problems.push(`${o.kind} ${o.metadata.name}: ${(err as Error).message}`);
    }
    const pod = podSpec(o);
    if (!pod) continue;
    const unknown = (keys: object, known: Set<string>, where: string) =>
      Object.keys(keys).filter((k) => !known.has(k)).forEach((k) => problems.push(`${o.kind} ${o.metadata.name}: unknown field ${where}.${k}`));
    if (o.kind === 'Deployment') unknown(o.spec as object, KNOWN.deploymentSpec, 'spec');
    unknown(pod, KNOWN.podSpec, 'pod spec');
    for (const c of pod.containers) unknown(c, KNOWN.container, `container ${c.name}`);
  }
  return problems;
}

function podSpec(o: Obj): { containers: Container[]; volumes?: Array<Record<string, unknown>> } & Record<string, unknown> | undefined {
  if (o.kind !== 'Deployment' && o.kind !== 'Job') return undefined;
  return (o.spec as { template: { spec: { containers: Container[] } } }).template.spec;
}

const find = (objects: Obj[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === `insider-insider-detector-${name}`);

const EVERYTHING = {
  config: {
    kafka: { brokers: ['kafka-0.kafka:9092', 'kafka-1.kafka:9092'], topic: 'dbaudit' },
    clickhouse: {
      url: 'http://clickhouse:8123',
      database: 'insider',
      cluster: { name: 'insider', shards: [['http://ch-0-0:8123', 'http://ch-0-1:8123'], ['http://ch-1-0:8123', 'http://ch-1-1:8123']] },
    },
    ingest: { groupId: 'dbaudit-ingest' },
    reports: { schedules: [{ name: 'weekly', cron: '0 6 * * 1', period: 'week', formats: ['html', 'csv', 'json'] }] },
  },
  reportScheduler: { enabled: true, persistence: { existingClaim: 'insider-reports' } },
  detector: { extraVolumes: [{ name: 'detection', configMap: { name: 'insider-detection' } }], extraVolumeMounts: [{ name: 'detection', mountPath: '/etc/insider/detection', readOnly: true }] },
  autoscaling: { keda: { enabled: true, authenticationRef: 'kafka-sasl' }, detector: { enabled: true } },
};

describe('the Helm chart', () => {
  const defaults = render();
  const everything = render(EVERYTHING);
  const hpa = render({ autoscaling: { hpa: { enabled: true } } });

  it.each([
    ['the defaults', defaults],
    ['every stage, a ClickHouse cluster and KEDA', everything],
    ['an HPA on the lag metric', hpa],
  ])('renders only objects valid against the Kubernetes schemas: %s', (_what, objects) => {
    expect(objects.length).toBeGreaterThan(8);
    expect(schemaProblems(objects)).toEqual([]);
  });

  it('would catch a malformed object (the check has teeth)', () => {
    const broken = structuredClone(find(defaults, 'Deployment', 'ingester')) as Obj;
    const pod = podSpec(broken)!;
    (pod.containers[0].ports[0] as { containerPort: unknown }).containerPort = 'health';
    (pod.containers[0] as Record<string, unknown>).livenesProbe = pod.containers[0].livenessProbe;
    expect(schemaProblems([broken])).toEqual([
      expect.stringMatching(/^Deployment insider-insider-detector-ingester: .*containerPort must be integer/),
      'Deployment insider-insider-detector-ingester: unknown field container ingester.livenesProbe',
    ]);
  });

  it('runs the five stages, each probed on its health routes, with resource requests', () => {
    const deployments = everything.filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name.replace('insider-insider-detector-', '')).sort()).toEqual(['api', 'detector', 'ingester', 'notifier', 'report-scheduler']);
    for (const d of deployments) {
      const c = podSpec(d)!.containers[0];
      const port = c.ports[0].containerPort;
      expect([d.metadata.name, c.livenessProbe?.httpGet, c.readinessProbe?.httpGet, c.startupProbe?.httpGet]).toEqual([
        d.metadata.name,
        { path: '/healthz', port },
        { path: '/readyz', port },
        { path: '/healthz', port },
      ]);
      expect(Object.keys(c.resources?.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
    }
    expect(podSpec(find(everything, 'Deployment', 'api')!)!.containers[0].ports[0].containerPort).toBe(8080);
    expect(podSpec(find(everything, 'Deployment', 'ingester')!)!.containers[0].args).toEqual(['ingest']);
    expect(podSpec(find(everything, 'Deployment', 'report-scheduler')!)!.volumes).toContainEqual({ name: 'reports', persistentVolumeClaim: { claimName: 'insider-reports' } });
  });

  it('writes a configuration file the product accepts, listening where the probes look', () => {
    for (const objects of [defaults, everything]) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-config-'));
      const file = path.join(dir, 'config.yaml');
      fs.writeFileSync(file, find(objects, 'ConfigMap', 'config')!.data!['config.yaml']);
      const { config } = loadConfig({ file, env: {} });
      expect([config.health, config.ingest.metrics, config.api.host, config.api.port]).toEqual([
        { host: '0.0.0.0', port: 9464 },
        { host: '0.0.0.0', port: 9464 },
        '0.0.0.0',
        8080,
      ]);
    }
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'chart-config-')), 'config.yaml');
    fs.writeFileSync(file, find(everything, 'ConfigMap', 'config')!.data!['config.yaml']);
    expect(loadConfig({ file, env: {} }).config.clickhouse.cluster?.shards).toHaveLength(2);
  });

  it('takes secrets from the Kubernetes Secret only, and refuses them in values', () => {
    for (const o of everything.filter((x) => podSpec(x))) {
      const c = podSpec(o)!.containers[0];
      expect(c.envFrom).toEqual([{ secretRef: { name: 'insider-detector' } }]);
      expect(c.env?.[0]).toEqual({ name: 'INSIDER_CONFIG', value: '/etc/insider/config.yaml' });
      // The ingester's heap and young generation are capped (values ingester.heapMb, semiSpaceMb); nothing else is set by the environment.
      expect(c.env?.slice(1)).toEqual(o.metadata.name.endsWith('-ingester') ? [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=144 --max-semi-space-size=8' }] : []);
    }
    expect(everything.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const key of ['clickhouse.password', 'kafka.sasl.password', 'api.pseudonymKey', 'api.adminToken']) {
      const out = helm(['template', 'insider', CHART, '--set', `config.${key}=hunter2`]);
      expect([key, out.status]).toEqual([key, 1]);
      expect(out.stderr).toContain(`config.${key}: secrets are not read from values or files; put it in the Secret "insider-detector"`);
      expect(out.stdout).not.toContain('hunter2');
    }
  });

  it('runs one notifier and one report scheduler at a time, replaced rather than rolled', () => {
    for (const stage of ['notifier', 'report-scheduler']) {
      const d = find(everything, 'Deployment', stage)!;
      expect([stage, d.spec?.replicas, d.spec?.strategy]).toEqual([stage, 1, { type: 'Recreate' }]);
    }
  });

  it('replaces the ingesters of one version by the next, never both at once, and rolls the other stages', () => {
    // An older ingester would not see a newer one's insert shared by several partitions (docs/exactly-once.md).
    for (const objects of [defaults, everything]) expect(find(objects, 'Deployment', 'ingester')!.spec?.strategy).toEqual({ type: 'Recreate' });
    expect(find(defaults, 'Deployment', 'ingester')!.spec?.replicas).toBeGreaterThan(1);
    for (const stage of ['detector', 'api']) expect([stage, (find(everything, 'Deployment', stage)!.spec?.strategy as { type?: string })?.type]).toEqual([stage, 'RollingUpdate']);
  });

  it('bounds voluntary disruptions of the stages that run several pods', () => {
    const pdbs = defaults.filter((o) => o.kind === 'PodDisruptionBudget');
    expect(pdbs.map((p) => [p.metadata.name.replace('insider-insider-detector-', ''), (p.spec as { maxUnavailable: number }).maxUnavailable]).sort()).toEqual([
      ['api', 1],
      ['detector', 1],
      ['ingester', 1],
    ]);
  });

  it("scales the ingester and detector with their consumer groups' lag: KEDA, or an HPA on an external metric", () => {
    const scaled = everything.filter((o) => o.kind === 'ScaledObject');
    expect(scaled.map((s) => (s.spec as { triggers: Array<{ type: string; metadata: Record<string, string>; authenticationRef: unknown }> }).triggers[0])).toEqual([
      expect.objectContaining({ type: 'kafka', metadata: expect.objectContaining({ consumerGroup: 'dbaudit-ingest', topic: 'dbaudit', bootstrapServers: 'kafka-0.kafka:9092,kafka-1.kafka:9092' }), authenticationRef: { name: 'kafka-sasl' } }),
      expect.objectContaining({ type: 'kafka', metadata: expect.objectContaining({ consumerGroup: 'insider-detect', topic: 'dbaudit' }) }),
    ]);
    // The autoscaler owns the replica count.
    expect(find(everything, 'Deployment', 'ingester')!.spec?.replicas).toBeUndefined();
    expect(find(defaults, 'Deployment', 'ingester')!.spec?.replicas).toBe(2);
    const [h] = hpa.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    expect((h.spec as { metrics: unknown[] }).metrics).toEqual([
      { type: 'External', external: { metric: { name: 'kafka_consumergroup_lag', selector: { matchLabels: { consumergroup: 'insider-ingest', topic: 'db-access-events' } } }, target: { type: 'AverageValue', averageValue: '50000' } } },
    ]);
    const both = helm(['template', 'insider', CHART, '--set', 'autoscaling.keda.enabled=true', '--set', 'autoscaling.hpa.enabled=true']);
    expect(both.stderr).toContain('autoscaling: enable keda or hpa, not both');
  });

  it('migrates the schema before the stages start or change (a hook Job with its own configuration)', () => {
    const job = defaults.find((o) => o.kind === 'Job')!;
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(podSpec(job)!.containers[0].args).toEqual(['migrate']);
    const config = defaults.find((o) => o.kind === 'ConfigMap' && o.metadata.annotations?.['helm.sh/hook'])!;
    expect(config.data).toEqual(find(defaults, 'ConfigMap', 'config')!.data);
  });
});
