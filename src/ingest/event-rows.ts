// The rows of access_events as the ingester sends them: TabSeparated, one line per stored event, the
// columns named in the INSERT (src/store/tab-separated.ts says why not JSONEachRow).
import { tsvDateTime, tsvString, type RowEncoding } from '../store';
import type { AccessEvent } from '../event';

/** An event as stored: the event, when it was ingested, and the Kafka record it came from. */
export interface StoredEvent extends AccessEvent {
  ingested_at: number;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
}

const COLUMNS = [
  'event_id', 'ts', 'ts_ms', 'user', 'action', 'bytes', 'rows', 'source', 'db_name', 'table_name', 'client_ip', 'client_app',
  'session_id', 'query_id', 'status', 'bytes_estimated', 'identity', 'extra', 'ingested_at', 'kafka_topic', 'kafka_partition', 'kafka_offset',
] as const;

export const accessEventRows: RowEncoding<StoredEvent> = {
  format: 'TabSeparated',
  columns: COLUMNS,
  encode(rows) {
    let out = '';
    // Rows of one batch share their topic and insert time: escaped once.
    let topic: string | undefined;
    let topicText = '';
    let ingestedAt = -1;
    let ingestedText = '';
    for (const r of rows) {
      if (r.kafka_topic !== topic) topicText = tsvString((topic = r.kafka_topic));
      if (r.ingested_at !== ingestedAt) ingestedText = tsvDateTime((ingestedAt = r.ingested_at));
      out +=
        `${tsvString(r.event_id)}\t${tsvDateTime(r.ts)}\t${r.ts_ms}\t${tsvString(r.user)}\t${tsvString(r.action)}\t${r.bytes}\t${r.rows}\t` +
        `${tsvString(r.source)}\t${tsvString(r.db_name)}\t${tsvString(r.table_name)}\t${tsvString(r.client_ip)}\t${tsvString(r.client_app)}\t` +
        `${tsvString(r.session_id)}\t${tsvString(r.query_id)}\t${r.status}\t${r.bytes_estimated}\t${tsvString(r.identity)}\t${tsvString(r.extra)}\t` +
        `${ingestedText}\t${topicText}\t${r.kafka_partition}\t${r.kafka_offset}\n`;
    }
    return out;
  },
};
