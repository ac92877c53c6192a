// Opens the adapter a tenant's configuration names. Adapters connect lazily, on first use.
import type { ArchiveLocation, SourceLocation } from '@callintake/schemas';
import { LocalArchiveStore } from './local-archive-store';
import { LocalUploadArea } from './local-upload-area';
import { S3ArchiveStore } from './s3-archive-store';
import { S3UploadArea } from './s3-upload-area';
import { SftpUploadArea } from './sftp-upload-area';
import type { ArchiveStore, UploadArea } from './types';

export class UnsupportedLocationError extends Error {
  override readonly name = 'UnsupportedLocationError';
}

export function openUploadArea(location: SourceLocation): UploadArea {
  switch (location.kind) {
    case 'local':
      return new LocalUploadArea(location.root);
    case 's3':
      return new S3UploadArea(location);
    case 'sftp':
      return new SftpUploadArea(location);
  }
}

export function openArchive(location: ArchiveLocation): ArchiveStore {
  switch (location.kind) {
    case 'local':
      return new LocalArchiveStore(location.root);
    case 's3':
      return new S3ArchiveStore(location);
  }
}
