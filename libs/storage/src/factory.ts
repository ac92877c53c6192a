// Opens the adapter a tenant's configuration names. SFTP and S3 adapters arrive with the
// intake issue; until then such tenants fail at start with a clear message, not at first use.
import type { ArchiveLocation, SourceLocation } from '@callintake/schemas';
import { LocalArchiveStore } from './local-archive-store';
import { LocalUploadArea } from './local-upload-area';
import type { ArchiveStore, UploadArea } from './types';

export class UnsupportedLocationError extends Error {
  override readonly name = 'UnsupportedLocationError';
}

export function openUploadArea(location: SourceLocation): UploadArea {
  switch (location.kind) {
    case 'local':
      return new LocalUploadArea(location.root);
    case 'sftp':
    case 's3':
      throw new UnsupportedLocationError(
        `source kind "${location.kind}" is not implemented yet; use kind: local`,
      );
  }
}

export function openArchive(location: ArchiveLocation): ArchiveStore {
  switch (location.kind) {
    case 'local':
      return new LocalArchiveStore(location.root);
    case 's3':
      throw new UnsupportedLocationError(`archive kind "s3" is not implemented yet; use kind: local`);
  }
}
