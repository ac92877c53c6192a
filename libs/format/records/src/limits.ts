// Size limits for metadata files. Callers check the stored size first so an oversized file is
// rejected without being read; the parsers enforce the same limits as a second line.
export const METADATA_LIMITS = {
  /** One JSON, XML or YAML record: far above any real call's metadata, small enough to parse in memory. */
  singleRecordBytes: 1024 * 1024,
  /** One batch CSV (call metadata or CRM objects): the same ceiling as a recording. */
  csvBytes: 2 * 1024 * 1024 * 1024,
} as const satisfies { singleRecordBytes: number; csvBytes: number };

/**
 * The longest single CSV row, in characters. A row longer than this almost always means a quote
 * was left open and the rest of the file was swallowed into one field; stopping there keeps
 * memory bounded.
 */
export const CSV_MAX_ROW_CHARS = 1024 * 1024;
