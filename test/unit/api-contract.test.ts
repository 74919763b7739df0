// The dashboard's answer types and enums (web/src/types.ts) against the API's output schemas and the
// server's enums. The web bundle cannot import the schemas (they pull in server modules): its answer
// types are derived from web/src/api-contract.ts, generated from the routes' OpenAPI document
// (scripts/api-contract.ts). Here: the committed file matches the routes, the derived types equal the
// schemas' output (compile time: npm run typecheck includes test/), and the enums when the suite runs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { SEVERITIES, STATUSES } from '../../src/alerts';
import type {
  adjustmentOut,
  alertDetailOut,
  alertOut,
  alertPageOut,
  alertSummaryOut,
  employeeOut,
  floorOut,
  meOut,
  reportOut,
  revealOut,
  seriesOut,
  tokenInfoOut,
  tuningJobOut,
  tuningRunOut,
  tuningStatusOut,
  userOut,
} from '../../src/api/schemas';
import type { historyEntry, triageState } from '../../src/api/schemas/triage';
import { ADJUSTMENT_KINDS, DISPOSITIONS, ROLES, SCOPES } from '../../src/triage';
import * as Web from '../../web/src/types';

/** true only when A and B are the same type (not merely assignable either way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** true when every answer the API gives (O) is a value the dashboard's type (W) admits. */
type Reads<W, O> = [O] extends [W] ? true : false;
type Out<S extends z.ZodType> = z.output<S>;

// Each line fails to compile when the dashboard's type and the API's answer part ways.
const shapes = {
  // The detector's stored evidence is sent as it is.
  evidence: true satisfies Same<Web.Evidence, Out<typeof alertOut>['evidence']>,
  triage: true satisfies Same<Web.Triage, Out<typeof triageState>>,
  history: true satisfies Same<Web.HistoryEntry, Out<typeof historyEntry>>,
  adjustment: true satisfies Same<Web.Adjustment, Out<typeof adjustmentOut>>,
  alertSummary: true satisfies Same<Web.AlertSummary, Out<typeof alertSummaryOut>>,
  alertPage: true satisfies Same<Web.AlertPage, Out<typeof alertPageOut>>,
  series: true satisfies Same<Web.Series, Out<typeof seriesOut>>,
  report: true satisfies Same<Web.Report, Out<typeof reportOut>>,
  reveal: true satisfies Same<Web.Reveal, Out<typeof revealOut>>,
  user: true satisfies Same<Web.User, Out<typeof userOut>>,
  token: true satisfies Same<Web.Token, Out<typeof tokenInfoOut>>,
  floor: true satisfies Same<Web.AlertFloor, Out<typeof floorOut>>,
  tuningJob: true satisfies Same<Web.TuningJob, Out<typeof tuningJobOut>>,
  tuningStatus: true satisfies Same<Web.TuningStatus, Out<typeof tuningStatusOut>>,
  // Looser on the dashboard's side, so only "the dashboard reads every answer":
  // findings: the dashboard's type (the stored AlertFinding) also admits kind, rate and severity, which the schema does not send.
  alert: true satisfies Reads<Web.Alert, Out<typeof alertOut>>,
  alertDetail: true satisfies Reads<Web.AlertDetail, Out<typeof alertDetailOut>>,
  // adjustments: optional on the dashboard's side, always sent.
  employee: true satisfies Reads<Web.EmployeeView, Out<typeof employeeOut>>,
  // credential: optional on the dashboard's side, always sent.
  me: true satisfies Reads<Web.Me, Out<typeof meOut>>,
  // candidates' scenarios (insider tune --labels only): not read by the dashboard.
  tuningRun: true satisfies Reads<Web.TuningRun, Out<typeof tuningRunOut>>,
};

describe('the dashboard and the API agree', () => {
  // In a process of its own: openapi-typescript loads ES modules Jest cannot.
  const check = (file: string) =>
    spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, '../../scripts/api-contract.ts'), '--check', '--file', file], { encoding: 'utf8' });
  const committed = path.join(__dirname, '../../web/src/api-contract.ts');

  it('web/src/api-contract.ts is what the routes generate now (npm run contract writes it); a changed copy is refused', () => {
    const now = check(committed);
    expect(now.stderr).toBe('');
    expect(now.status).toBe(0);
    const changed = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'contract-')), 'api-contract.ts');
    fs.writeFileSync(changed, fs.readFileSync(committed, 'utf8').replace('assignee: string | null;', 'assignee: string;'));
    const drift = check(changed);
    expect(drift.status).toBe(1);
    expect(drift.stderr).toContain('does not match the routes: run npm run contract');
  }, 60_000);

  it('on every answer shape (checked by the compiler)', () => {
    expect(Object.values(shapes).every((v) => v)).toBe(true);
  });

  it('on the enums the dashboard re-declares for its select boxes', () => {
    expect(Web.SEVERITIES).toEqual(SEVERITIES);
    expect(Web.STATUSES).toEqual(STATUSES);
    expect(Web.DISPOSITIONS).toEqual(DISPOSITIONS);
    expect(Web.SCOPES).toEqual(SCOPES);
    expect(Web.ROLES).toEqual(ROLES);
    // The dashboard lists project work first (its display order).
    expect([...Web.ADJUSTMENT_KINDS].sort()).toEqual([...ADJUSTMENT_KINDS].sort());
  });
});
