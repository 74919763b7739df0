// What `insider services up` clears before starting a ClickHouse it runs: the temporary part
// directories a killed server left (src/local-services/clickhouse-server.ts). The wedge they cause on
// the real 18.16 is tested in integration/ingest-faults.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeLeftoverPartDirectories } from '../../src/local-services/clickhouse-server';

describe('removing the temporary part directories a killed ClickHouse left', () => {
  it('removes tmp_* directories of every table, and nothing else', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'leftover-parts-'));
    const make = (p: string, file?: string) => {
      fs.mkdirSync(path.join(root, p), { recursive: true });
      if (file) fs.writeFileSync(path.join(root, p, file), 'x');
    };
    make('db1/access_events/20261102_1_1_0', 'checksums.txt');
    make('db1/access_events/tmp_merge_20261102_1_6_1', 'data.bin');
    make('db1/access_events/tmp_insert_20261102_7_7_0');
    make('db1/access_events/detached/tmp_keep_detached');
    make('db2/user_daily/tmp_mut_202611_1_1_0_5');
    make('db2/user_daily/202611_1_1_0');
    fs.writeFileSync(path.join(root, 'db1/access_events/tmp_mutation_9.txt'), 'the server removes these itself');
    fs.writeFileSync(path.join(root, 'db1/access_events/mutation_8.txt'), 'kept');

    const removed = removeLeftoverPartDirectories(root);

    expect(removed.sort()).toEqual(['db1.access_events/tmp_insert_20261102_7_7_0', 'db1.access_events/tmp_merge_20261102_1_6_1', 'db2.user_daily/tmp_mut_202611_1_1_0_5']);
    expect(fs.readdirSync(path.join(root, 'db1/access_events')).sort()).toEqual(['20261102_1_1_0', 'detached', 'mutation_8.txt', 'tmp_mutation_9.txt']);
    expect(fs.readdirSync(path.join(root, 'db1/access_events/detached'))).toEqual(['tmp_keep_detached']);
    expect(fs.readdirSync(path.join(root, 'db2/user_daily'))).toEqual(['202611_1_1_0']);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('finds nothing to do where no server ran yet', () => {
    expect(removeLeftoverPartDirectories(path.join(os.tmpdir(), 'no-such-clickhouse-data'))).toEqual([]);
  });
});
