-- API users, v2: every change to a user as a row of its own, in an order every reader agrees on.
-- 0004's api_users kept whole seconds and no tie-breaker, so two changes in one second (a role changed
-- twice, two concurrent creations) had no defined order, names were unique only as typed ("Ana" next to
-- "ana"), and a user could not be enabled again. Here:
--   name_key   lower(name): names are unique case-insensitively; the first `created` row of a key wins
--   at, at_ms  when (ms); change_id breaks ties between rows of the same millisecond
--   event      created, role_changed, disabled, enabled
--   reason     why a user was disabled (free text, may be empty)
-- Tokens stay in api_tokens (0004): one row when issued, one with revoked = 1 when revoked. api_users
-- (0004) is copied below and no longer written; it stays as it was.
CREATE TABLE IF NOT EXISTS api_user_changes (
  name String,
  name_key String,
  change_id String,
  event Enum8('created' = 1, 'role_changed' = 2, 'disabled' = 3, 'enabled' = 4),
  role Enum8('viewer' = 1, 'analyst' = 2, 'admin' = 3),
  at DateTime('UTC'),
  at_ms UInt16,
  actor String,
  reason String
) ENGINE = MergeTree
ORDER BY (name_key, at, at_ms, change_id);

-- The users of 0004, copied once (a name already copied is skipped, so running this again adds nothing).
INSERT INTO api_user_changes (name, name_key, change_id, event, role, at, at_ms, actor, reason)
SELECT name, lower(name), concat('v1-', toString(cityHash64(name, toString(event), toString(at), actor))), toString(event), toString(role), at, 0, actor, ''
FROM api_users
WHERE lower(name) NOT IN (SELECT name_key FROM api_user_changes);
