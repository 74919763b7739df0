// Configuration: one typed, validated, frozen object built at start. See config/default.yaml.
export { loadConfig, DEFAULT_CONFIG_FILE, type LoadOptions, type LoadedConfig } from './load';
export { maskSecrets } from './mask';
export { configSchema, SECRET_PATHS, ENV_OVERRIDES, type Config } from './schema';
