// The local Kafka's storage format command (run by the real tool in test/integration/kafka-storage-format.test.ts).
import { storageFormatArgs } from '../../src/local-services/kafka-broker';

it('passes a cluster id that starts with "-" as the option value, not as an option', () => {
  const id = '-UWk9179u3LhCW8lZzYzTQ'; // a real id that once failed: it starts with '-'
  const args = storageFormatArgs(id, '/tmp/server.properties');
  expect(args).toContain(`--cluster-id=${id}`);
  expect(args).not.toContain(id);
});
