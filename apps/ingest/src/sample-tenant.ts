// A sample tenant for `npm run demo`: synthetic recordings (made in code), metadata in the
// guide's own JSON shape, and a CRM batch the metadata refers to.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeWav } from '@callintake/media';
import { parseTenantsFile, type TenantConfig } from '@callintake/schemas';

export interface SampleTenant {
  tenant: TenantConfig;
  tenantsFile: string;
  dataDir: string;
  expectedCallIds: string[];
  expectedRejections: string[];
}

interface SampleCall {
  stem: string;
  email: string;
  direction: string;
  channels: number;
  durationSec: number;
  contactId?: string;
  metadataFormat: 'json';
}

const CALLS: SampleCall[] = [
  {
    stem: '20240312-091500_outbound_1001',
    email: 'ana@example.com',
    direction: 'outbound',
    channels: 2,
    durationSec: 2.5,
    contactId: 'C-100',
    metadataFormat: 'json',
  },
  {
    stem: '20240312-093012_inbound_1002',
    email: 'ben@example.com',
    direction: 'inbound',
    channels: 1,
    durationSec: 1.2,
    contactId: 'C-101',
    metadataFormat: 'json',
  },
  {
    stem: '20240312-101500_joe_baducci',
    email: 'joe@example.com',
    direction: 'outbound',
    channels: 2,
    durationSec: 3,
    metadataFormat: 'json',
  },
  {
    stem: '20240312-110000_out_2004',
    email: 'cho@example.com',
    direction: 'Outgoing',
    channels: 1,
    durationSec: 0.8,
    contactId: 'C-404',
    metadataFormat: 'json',
  },
];

export async function writeSampleTenant(root: string): Promise<SampleTenant> {
  await rm(root, { recursive: true, force: true });
  const upload = join(root, 'upload', 'demo');
  const dataDir = join(upload, 'data');
  await mkdir(dataDir, { recursive: true });
  const document = {
    tenants: [
      {
        id: 'demo',
        source: { kind: 'local', root: upload },
        archive: { kind: 'local', root: join(root, 'archive', 'demo') },
        timezone: 'America/New_York',
        filenameTime: 'start',
        settleSeconds: 1,
        pollSeconds: 5,
        metadata: {
          fields: {
            datetime: { to: 'callTime', type: 'datetime' },
            email: { to: 'userId' },
            filename: { to: 'recordingFile' },
            direction: {
              to: 'direction',
              type: 'enum',
              values: { outbound: 'outbound', outgoing: 'outbound', inbound: 'inbound' },
            },
            contact_id: { to: 'contactId' },
            disposition: { to: 'disposition' },
          },
        },
      },
    ],
  };
  const tenantsFile = join(root, 'tenants.json');
  await writeFile(tenantsFile, JSON.stringify(document, null, 2));
  const parsed = parseTenantsFile(document);
  if (!parsed.ok) throw new Error(`sample tenants file is invalid: ${parsed.errors.join('; ')}`);
  return {
    tenant: parsed.value.tenants[0] as TenantConfig,
    tenantsFile,
    dataDir,
    expectedCallIds: CALLS.map((c) => c.stem),
    expectedRejections: ['notes.txt'],
  };
}

/** Drops files the way a customer's script would: CRM first, then metadata and recordings. */
export async function dropSampleFiles(sample: SampleTenant): Promise<void> {
  const put = (name: string, content: string | Buffer) => writeFile(join(sample.dataDir, name), content);
  await put(
    'contacts_20240312T0800.csv',
    'id,name,email,company\nC-100,Dana Diaz,dana@acme.test,Acme\nC-101,Eli Park,eli@globex.test,Globex\n',
  );
  for (const [index, call] of CALLS.entries()) {
    const [date, time] = call.stem.split('_')[0]?.split('-') ?? [];
    const isoLocal = `${date?.slice(0, 4)}-${date?.slice(4, 6)}-${date?.slice(6, 8)}T${time?.slice(0, 2)}:${time?.slice(2, 4)}:${time?.slice(4, 6)}-04:00`;
    const metadata = {
      datetime: isoLocal,
      email: call.email,
      filename: `sftp/recordings/${call.stem}.wav`,
      direction: call.direction,
      ...(call.contactId ? { contact_id: call.contactId } : {}),
      disposition: index % 2 ? 'left voicemail' : 'connected',
    };
    const wav = encodeWav({
      sampleRateHz: 8000,
      channels: call.channels,
      durationSec: call.durationSec,
      // The same bytes under two names would be one recording (duplicate-content).
      uniqueTag: call.stem,
    });
    // Half the calls send the recording first, half the metadata first: order must not matter.
    if (index % 2) {
      await put(`${call.stem}.wav`, wav);
      await put(`${call.stem}.json`, JSON.stringify(metadata));
    } else {
      await put(`${call.stem}.json`, JSON.stringify(metadata));
      await put(`${call.stem}.wav`, wav);
    }
  }
  await put('notes.txt', 'not a recording, metadata or CRM file\n');
}
