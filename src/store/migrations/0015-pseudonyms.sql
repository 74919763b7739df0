-- Pseudonym -> employee, so that a filter or a reveal by pseudonym is one indexed read instead of the keyed
-- hash of every known employee. Written once per employee (when the directory or an alert introduces
-- them) by whoever holds the key (src/triage/pseudonym-map.ts); key_id is a fingerprint of the key
-- (an HMAC of a fixed text), so that another key finds nothing and maps everyone afresh. The table holds
-- what the alerts and the directory already hold: the ids, and a name for them.
CREATE TABLE IF NOT EXISTS pseudonyms (
  key_id String,
  pseudonym String,
  user String,
  at DateTime('UTC')
) ENGINE = ReplacingMergeTree
ORDER BY (key_id, pseudonym, user);
