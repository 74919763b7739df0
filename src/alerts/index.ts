// Alerts: what the detector raised, stored in ClickHouse one revision per row, and the listing the queue
// filters, counts and pages in ClickHouse (listing.ts). The triage lifecycle (acknowledge, resolve) builds on this.
export { alertIdOf, dayOfAlertId } from './alert-id';
export { revisionLandingMs, RESTAMP_AFTER_MS, type LandingTimeouts } from './landing';
export { writeAlerts, insertAlerts, heldRevisions, listAlerts, alertsOfDays, alertRevisionsEverywhere, getAlert, alertSummaries, alertSummaryPages, type AlertFilter, type AlertSummaryRecord } from './store';
export {
  STATUSES,
  SORTS,
  defaultDir,
  refreshListing,
  rebuildListing,
  listingEpoch,
  repairListing,
  countListing,
  listingPage,
  listingPageAndCount,
  listingIds,
  listingCursor,
  readListingCursor,
  type AlertStatus,
  type SortKey,
  type SortDir,
  type ListingFilter,
  type ListingOrder,
  type ListingRow,
} from './listing';
export { SEVERITIES, DISPOSITIONS, severityRank, type Disposition, type AlertRecord, type AlertFinding, type Evidence, type Severity } from './types';
