// The employee directory: who works where, in which role, since when, until when, and whether an
// account is a person or a service. Loaded from CSV or JSON (validated line by line, all or nothing)
// into versioned ClickHouse tables; detection reads "current" or the directory as of an event's time.
//
//   directory.csv -> parse (validate, checksum) -> store (new version; older versions kept)
export { loadDirectoryFile, parseDirectory, isDate, DIRECTORY_FIELDS, REQUIRED_FIELDS, type DirectoryEntry, type ParsedDirectory, type AccountType } from './parse';
export {
  storeDirectory,
  currentDirectory,
  directoryAsOf,
  directoryVersions,
  directoryHistory,
  type DirectoryVersion,
  type DirectorySnapshot,
  type StoreResult,
} from './store';
export { createDirectoryCache, indexDirectory, latestDirectoryVersion, type DirectoryCache, type DirectoryIndex } from './cache';
