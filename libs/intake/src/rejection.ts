// Rejecting a file: the error report goes next to where the file will be, then the file moves,
// then the state says so. Each step is safe to repeat, so a crash anywhere is finished by a retry.
import type { Reason } from '@callintake/schemas';
import type { StateStore } from '@callintake/state';
import type { UploadArea } from '@callintake/storage';
import { errorReportPath, rejectedPath } from './layout';

export interface ErrorReport {
  file: string;
  version: number;
  rejectedAt: string;
  error: Reason;
}

export async function rejectFile(
  area: UploadArea,
  state: StateStore,
  target: { tenantId: string; name: string; versionId: string; version: number; location: string },
  reason: Reason,
): Promise<void> {
  const report: ErrorReport = { file: target.name, version: target.version, rejectedAt: state.clock.now().toISOString(), error: reason };
  await area.writeFile(errorReportPath(target.name), JSON.stringify(report, null, 2) + '\n');
  if (target.location !== rejectedPath(target.name) && (await area.stat(target.location))) {
    await area.move(target.location, rejectedPath(target.name));
  }
  await state.assets.updateVersion(target.tenantId, target.name, target.versionId, {
    state: 'rejected',
    reason,
    location: rejectedPath(target.name),
  });
}
