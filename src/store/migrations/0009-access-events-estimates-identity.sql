-- Two fields of the event contract that the sources layer needs (docs/event-contract.md):
-- bytes_estimated (1 when bytes are rows x average row width, not measured) and identity (the
-- authenticated person behind a shared database role). 18.16 has no ADD COLUMN IF NOT EXISTS: one
-- ALTER, alone in its migration, adds both at once.
ALTER TABLE access_events ADD COLUMN bytes_estimated UInt8 DEFAULT 0 AFTER status, ADD COLUMN identity String DEFAULT '' AFTER bytes_estimated;
