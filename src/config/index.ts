// Configuration: one typed, validated, frozen object built at start. See config/default.yaml.
export { loadConfig, DEFAULT_CONFIG_FILE, type LoadOptions, type LoadedConfig } from './load';
export { maskSecrets } from './mask';
export { configSchema, SECRET_PATHS, ENV_OVERRIDES, type Config } from './schema';
// Every section's schema lives here, so that config imports no feature folder (the features import it).
export {
  SENSITIVITIES,
  type DetectionConfig,
  type DetectionOverride,
  type DetectorName,
  type DetectorSettings,
  type PolicySeverity,
  type ScoringConfig,
} from './detection-schema';
export { type NotifyConfig, type ChannelConfig, type RouteConfig } from './notify-schema';
export { REPORT_FORMATS, PERIOD_KINDS, type ReportFormat, type PeriodKind, type ReportsConfig, type ScheduleConfig } from './report-schema';
