-- The employee directory, versioned: every load adds a version (its rows plus one row in
-- directory_versions, written last, which makes the version visible). "Current" is the latest
-- version; older versions stay, so who was in which department, and since when, is never lost.
CREATE TABLE IF NOT EXISTS directory_versions (
  version UInt64,
  loaded_at DateTime('UTC'),
  source String,
  entries UInt32,
  checksum String
) ENGINE = MergeTree
ORDER BY version;

-- One row per person (or service account) per version. Dates are Nullable: unknown or not applicable.
CREATE TABLE IF NOT EXISTS directory_entries (
  version UInt64,
  id String,
  name String,
  department String,
  role String,
  manager String,
  location String,
  timezone String,
  hire_date Nullable(Date),
  notice_date Nullable(Date),
  end_date Nullable(Date),
  account_type Enum8('human' = 1, 'service' = 2)
) ENGINE = MergeTree
ORDER BY (id, version);
