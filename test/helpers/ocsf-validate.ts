// Checks a record against the OCSF field lists of test/fixtures/ocsf/ (OCSF 1.8.0, extracted from the
// schema repository): every required attribute present, no attribute the class (or object) does not
// define, each value of its type, *_id values in their enums, the class's constraints, and
// type_uid = class_uid * 100 + activity_id. Returns the problems, empty when the record conforms.
import fs from 'node:fs';
import path from 'node:path';

interface Attr {
  requirement: 'required' | 'recommended' | 'optional';
  type?: string;
  base_type?: string;
  object?: string;
  array?: boolean;
  enum?: number[];
}
interface Shape {
  attributes: Record<string, Attr>;
  constraints: { at_least_one?: string[]; just_one?: string[] };
}
interface Schema {
  source: { tag: string };
  classes: Record<string, Shape & { class_uid: number; category_uid: number; name: string }>;
  objects: Record<string, Shape>;
}

export const OCSF_SCHEMA = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'ocsf', 'ocsf-1.8.0.json'), 'utf8')) as Schema;

const INTEGER = new Set(['integer_t', 'long_t', 'timestamp_t', 'port_t']);

function checkValue(v: unknown, a: Attr, where: string, problems: string[]): void {
  if (a.array) {
    if (!Array.isArray(v)) return void problems.push(`${where}: expected an array`);
    v.forEach((x, i) => checkValue(x, { ...a, array: false }, `${where}[${i}]`, problems));
    return;
  }
  if (a.object) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return void problems.push(`${where}: expected an object (${a.object})`);
    const shape = OCSF_SCHEMA.objects[a.object];
    if (shape) checkShape(v as Record<string, unknown>, shape, where, problems);
    else if (a.object !== 'object') problems.push(`${where}: object ${a.object} is not in the fixture (extend test/fixtures/ocsf)`);
    return;
  }
  const t = a.type ?? '';
  const base = a.base_type ?? t;
  if (INTEGER.has(t) || INTEGER.has(base)) {
    if (!Number.isInteger(v)) problems.push(`${where}: expected an integer (${t}), got ${JSON.stringify(v)}`);
  } else if (t === 'float_t' || base === 'float_t') {
    if (typeof v !== 'number') problems.push(`${where}: expected a number, got ${JSON.stringify(v)}`);
  } else if (t === 'boolean_t') {
    if (typeof v !== 'boolean') problems.push(`${where}: expected a boolean, got ${JSON.stringify(v)}`);
  } else if (t === 'json_t') {
    // any JSON
  } else if (typeof v !== 'string') problems.push(`${where}: expected a string (${t}), got ${JSON.stringify(v)}`);
  if (a.enum && typeof v === 'number' && !a.enum.includes(v) && v !== 0 && v !== 99) problems.push(`${where}: ${v} is not one of ${a.enum.join(', ')}`);
}

function checkShape(rec: Record<string, unknown>, shape: Shape, where: string, problems: string[]): void {
  for (const [name, a] of Object.entries(shape.attributes)) {
    if (a.requirement === 'required' && (rec[name] === undefined || rec[name] === null)) problems.push(`${where}.${name}: required`);
  }
  for (const [name, v] of Object.entries(rec)) {
    const a = shape.attributes[name];
    if (!a) problems.push(`${where}.${name}: not an attribute of this class/object`);
    else if (v !== undefined && v !== null) checkValue(v, a, `${where}.${name}`, problems);
  }
  const present = (k: string) => rec[k] !== undefined && rec[k] !== null;
  const least = shape.constraints.at_least_one;
  if (least && !least.some(present)) problems.push(`${where}: needs at least one of ${least.join(', ')}`);
  const one = shape.constraints.just_one;
  if (one && one.filter(present).length !== 1) problems.push(`${where}: needs exactly one of ${one.join(', ')}`);
}

export function ocsfProblems(rec: Record<string, unknown>): string[] {
  const cls = OCSF_SCHEMA.classes[String(rec.class_uid)];
  if (!cls) return [`class_uid ${String(rec.class_uid)} is not one of ${Object.keys(OCSF_SCHEMA.classes).join(', ')}`];
  const problems: string[] = [];
  checkShape(rec, cls, cls.name, problems);
  if (rec.category_uid !== cls.category_uid) problems.push(`category_uid must be ${cls.category_uid}`);
  if (rec.type_uid !== cls.class_uid * 100 + Number(rec.activity_id)) problems.push(`type_uid must be class_uid * 100 + activity_id = ${cls.class_uid * 100 + Number(rec.activity_id)}`);
  return problems;
}
