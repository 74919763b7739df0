-- Paging per case (src/notify/case-pages.ts): a case that grows sends an update to the incident it
-- already opened (a PagerDuty event with the same dedup key, an Opsgenie note), a delivery kind of its
-- own. Adding a value to an Enum8 changes only the table's metadata; re-running it changes nothing.
ALTER TABLE notify_outbox MODIFY COLUMN kind Enum8('trigger' = 1, 'acknowledge' = 2, 'resolve' = 3, 'escalate' = 4, 'digest' = 5, 'test' = 6, 'update' = 7);
