// `detect --once` asks the detector group whether live detectors run before a backfill of today or
// yesterday (src/live-detect/live-members.ts): a Kafka that does not answer must not hang the backfill.
import type { Kafka } from 'kafkajs';
import { liveDetectorMembers } from '../../src/live-detect';

const kafkaWith = (admin: { connect(): Promise<void>; describeGroups(ids: string[]): Promise<unknown>; disconnect(): Promise<void> }) => ({ admin: () => admin }) as unknown as Kafka;

describe('the live detectors of a group', () => {
  it('counts the members Kafka describes', async () => {
    const asked: string[][] = [];
    const kafka = kafkaWith({
      connect: async () => {},
      describeGroups: async (ids) => {
        asked.push(ids);
        return { groups: [{ groupId: ids[0], members: [{ memberId: 'a' }, { memberId: 'b' }] }] };
      },
      disconnect: async () => {},
    });
    expect(await liveDetectorMembers(kafka, 'insider-detector')).toBe(2);
    expect(asked).toEqual([['insider-detector']]);
  });

  it('gives undefined, not a hang, when Kafka does not answer in time; and when it fails', async () => {
    let disconnected = 0;
    const hanging = kafkaWith({ connect: () => new Promise(() => {}), describeGroups: async () => ({ groups: [] }), disconnect: async () => void disconnected++ });
    expect(await liveDetectorMembers(hanging, 'g', 50)).toBeUndefined();
    expect(disconnected).toBe(1);
    const failing = kafkaWith({ connect: async () => Promise.reject(new Error('ECONNREFUSED')), describeGroups: async () => ({ groups: [] }), disconnect: async () => {} });
    expect(await liveDetectorMembers(failing, 'g', 1000)).toBeUndefined();
  });
});
