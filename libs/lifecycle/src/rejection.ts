// Rejecting a file: the error report goes next to where the file will be, then the file moves,
// then the state says so. Each step is safe to repeat, so a crash anywhere is finished by a retry.
import type { Reason } from '@callintake/schemas';
import type { StateStore } from '@callintake/state';
import { StorageError, type UploadArea } from '@callintake/storage';
import { errorReportPath, rejectedPath } from './layout';
import { transitionVersion, type VersionRef } from './transitions';

export interface ErrorReport {
  file: string;
  version: number;
  rejectedAt: string;
  error: Reason;
}

export async function rejectFile(
  area: UploadArea,
  state: StateStore,
  target: VersionRef & { version: number; location: string },
  reason: Reason,
): Promise<void> {
  const report: ErrorReport = {
    file: target.fileName,
    version: target.version,
    rejectedAt: state.clock.now().toISOString(),
    error: reason,
  };
  await area.writeFile(errorReportPath(target.fileName), JSON.stringify(report, null, 2) + '\n');
  if (target.location !== rejectedPath(target.fileName))
    await moveUnlessGone(area, target.location, rejectedPath(target.fileName));
  await transitionVersion(state, target, 'reject', { reason, location: rejectedPath(target.fileName) });
}

/**
 * Rejects a version without moving anything: a customer's own folder or a link in data/ is
 * theirs, never followed or moved, so only the state says why it is not taken.
 */
export async function rejectInPlace(state: StateStore, target: VersionRef, reason: Reason): Promise<void> {
  await transitionVersion(state, target, 'reject', { reason });
}

/**
 * Moves a file that may already have left: a concurrent scan or a worker can move it between
 * our listing and this call, and a customer may delete it. Either way there is nothing left to move.
 */
export async function moveUnlessGone(area: UploadArea, from: string, to: string): Promise<void> {
  try {
    await area.move(from, to);
  } catch (error) {
    if (!(error instanceof StorageError && error.code === 'not-found')) throw error;
  }
}
