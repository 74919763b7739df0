// Kafka's own StorageTool, from the jars the global setup installed, formats a storage directory with a
// cluster id that starts with '-' (1 random id in 64 does; such a start once failed the whole CI run).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stateDirOf } from '../../src/local-services';
import { storageFormatArgs } from '../../src/local-services/kafka-broker';
import { testConfig } from '../helpers/env';

it('formats a storage directory with a cluster id that starts with "-"', () => {
  const id = '-UWk9179u3LhCW8lZzYzTQ';
  const libs = path.join(stateDirOf(testConfig()), 'kafka', 'libs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'insider-kafka-format-'));
  const props = path.join(dir, 'server.properties');
  fs.writeFileSync(
    props,
    ['process.roles=broker,controller', 'node.id=1', 'controller.quorum.voters=1@127.0.0.1:1', 'listeners=PLAINTEXT://127.0.0.1:2,CONTROLLER://127.0.0.1:1', 'controller.listener.names=CONTROLLER', `log.dirs=${dir}/data`].join('\n'),
  );
  execFileSync('java', ['-cp', `${libs}/*`, ...storageFormatArgs(id, props)], { stdio: 'pipe' });
  expect(fs.readFileSync(path.join(dir, 'data', 'meta.properties'), 'utf8')).toContain(`cluster.id=${id}`);
  fs.rmSync(dir, { recursive: true, force: true });
});
