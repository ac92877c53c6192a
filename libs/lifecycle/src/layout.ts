// Where files live inside a tenant's upload area (SPEC "Intake"). Customers write only to
// data/; processed/ and rejected/ are ours and are created on first use.
import { boundedFileName } from '@callintake/naming';

export const DATA_DIR = 'data';
export const PROCESSED_DIR = 'data/processed';
export const REJECTED_DIR = 'data/rejected';
export const RESERVED_DIRS = new Set(['processed', 'rejected']);

export const dataPath = (name: string) => `${DATA_DIR}/${name}`;
export const processedPath = (name: string) => `${PROCESSED_DIR}/${name}`;
export const rejectedPath = (name: string) => `${REJECTED_DIR}/${name}`;
/** Beside the rejected file; a name too long for the suffix is shortened (boundedFileName). */
export const errorReportPath = (name: string) =>
  `${REJECTED_DIR}/${boundedFileName('', name, ERROR_REPORT_SUFFIX)}`;
export const ERROR_REPORT_SUFFIX = '.error.json';

/** How deep we look into folders customers created, to report their files. */
export const NESTED_SCAN_DEPTH = 4;
