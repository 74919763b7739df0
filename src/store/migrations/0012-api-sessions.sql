-- Dashboard sessions from single sign-on (OpenID Connect), a kind of credential next to api_tokens and in
-- the same model: a row when a session starts (only the SHA-256 of the cookie's secret is stored) and
-- another with revoked = 1 when it ends (sign-out, the user disabled, an admin). Sessions expire.
--   session_id   ses_ and 16 hex digits: names the session in the audit trail (never the secret)
--   issuer, subject, groups   who the identity provider said signed in, and the groups the role came from
CREATE TABLE IF NOT EXISTS api_sessions (
  session_id String,
  name String,
  session_hash String,
  at DateTime('UTC'),
  actor String,
  expires_at DateTime('UTC'),
  revoked UInt8,
  issuer String,
  subject String,
  groups String
) ENGINE = MergeTree
ORDER BY (session_hash, at);
