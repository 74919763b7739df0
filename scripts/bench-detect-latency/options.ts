// The command line: what organisation to simulate, how much background, how many exports.
import { Command, InvalidArgumentError, Option } from 'commander';

export interface Options {
  seed: number;
  employees: number;
  days: number;
  rate: number;
  exports: number;
  keep: boolean;
  profile: boolean;
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
};
const nonNegativeInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
};

export function parseOptions(): Options {
  const program = new Command('bench-detect-latency')
    .description('time from producing the threshold-crossing event of a bulk export to its alert being stored, under a steady background load')
    .addOption(new Option('--seed <n>', 'simulation seed').argParser(nonNegativeInt).default(42))
    .addOption(new Option('--employees <n>', 'employees in the simulated organisation').argParser(positiveInt).default(200))
    .addOption(new Option('--days <n>', 'days of history before today').argParser(positiveInt).default(30))
    .addOption(new Option('--rate <n>', 'background events per second').argParser(positiveInt).default(20_000))
    .addOption(new Option('--exports <n>', 'bulk exports to time').argParser(positiveInt).default(20))
    .option('--keep', 'keep the ClickHouse database, Kafka topic and simulation files for inspection', false)
    .option('--profile', 'run insider ingest and insider detect with --cpu-prof (profiles in artifacts/bench/)', false)
    .parse(process.argv);
  return program.opts<Options>();
}
