// An upload area on a customer-facing SFTP account, with the semantics of LocalUploadArea:
// relative POSIX paths under the tenant's `root`, symlinks described but never followed,
// atomic writes, and moves that replace their target (posix-rename@openssh.com).
//
// One SSH connection per area, opened on first use and reused; every operation runs on it, and
// one that finds the connection dropped reconnects and is tried once more.
//
// Symlinks: SFTP v3 has no O_NOFOLLOW and no openat(), so "never follow" is a check before
// acting: the last component is lstat()ed and its parent folder is realpath()ed and compared with
// the path it should be (one round trip, in parallel). A customer who swaps a component for a
// link between our check and our request wins that race. What really bounds them is the
// server: the account should be chrooted (OpenSSH `ChrootDirectory` + internal-sftp), so any
// link leads only to files they could already read.
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { boundedFileName } from '@callintake/naming';
import type { SourceLocation } from '@callintake/schemas';
import type { ConnectConfig, FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { StorageError } from './types';
import type { EntryType, StoredEntry, UploadArea } from './types';

export type SftpSourceLocation = Extract<SourceLocation, { kind: 'sftp' }>;

/** Where credentials come from: the tenants file names them, it never holds them. */
export interface SftpSecrets {
  /** The value of the environment variable named by `passwordEnv` or `passphraseEnv`. */
  env(name: string): string | undefined;
  /** The contents of `privateKeyFile`, read on every (re)connect so rotated keys are picked up. */
  readFile(path: string): Promise<Buffer>;
}

export const processSecrets: SftpSecrets = {
  env: (name) => process.env[name],
  readFile: (path) => readFile(path),
};

export interface SftpUploadAreaOptions {
  secrets?: SftpSecrets;
  /** Handshake and authentication must finish within this (ssh2 `readyTimeout`). */
  readyTimeoutMs?: number;
  /** A connection that misses `keepaliveCountMax` keepalives in a row is dropped. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
}

/** SFTP v3 status codes (draft-ietf-secsh-filexfer-02) that we act on. */
const STATUS = { EOF: 1, NO_SUCH_FILE: 2 } as const;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

interface SftpPath {
  /** Normalized relative POSIX path ('' for the root itself). */
  relative: string;
  segments: string[];
}

export class SftpUploadArea implements UploadArea {
  readonly description: string;
  private readonly root: string;
  private readonly secrets: SftpSecrets;
  private current: Promise<Session> | undefined;

  constructor(
    private readonly location: SftpSourceLocation,
    private readonly options: SftpUploadAreaOptions = {},
  ) {
    this.root = posix.normalize(location.root || '/').replace(/(.)\/$/, '$1');
    this.secrets = options.secrets ?? processSecrets;
    const host = location.host.includes(':') ? `[${location.host}]` : location.host;
    const shownRoot = this.root.startsWith('/') ? this.root : `/${this.root}`;
    this.description = `sftp://${encodeURIComponent(location.username)}@${host}:${location.port}${shownRoot}`;
  }

  async *list(dir: string): AsyncIterable<StoredEntry> {
    const resolved = resolveSftpPath(dir);
    const shown = resolved.relative || '.';
    const opened = await this.run(`cannot list ${shown}`, async (session) => {
      const info = await this.inspect(session, resolved);
      if (info === null) return null;
      if (resolved.segments.length > 0 && modeType(info.mode) === 'symlink') {
        throw new StorageError(`refusing to follow symlink ${resolved.relative}`, 'outside-root');
      }
      if (modeType(info.mode) !== 'directory') {
        throw new StorageError(`${shown} is not a folder`, 'io');
      }
      const handle = await orMissing(
        ask<Buffer>((done) => session.sftp.opendir(this.remote(resolved), done)),
      );
      return handle === null ? null : { session, handle };
    });
    if (opened === null) return;
    const { session, handle } = opened;
    try {
      // The server answers READDIR in batches, so memory stays flat however many files there are.
      for (;;) {
        const batch = await readdirBatch(session.sftp, handle);
        if (batch === null) break;
        for (const entry of batch) {
          if (entry.filename === '.' || entry.filename === '..') continue;
          const relative =
            resolved.relative === '' ? entry.filename : `${resolved.relative}/${entry.filename}`;
          yield toEntry(relative, entry.filename, entry.attrs.mode, entry.attrs, entry.longname);
        }
      }
    } catch (error) {
      throw toStorageError(error, `cannot list ${shown}`);
    } finally {
      await closeQuietly(session.sftp, handle);
    }
  }

  async stat(filePath: string): Promise<StoredEntry | null> {
    const resolved = resolveSftpPath(filePath);
    return this.run(`cannot stat ${resolved.relative || '.'}`, async (session) => {
      const info = await this.inspect(session, resolved);
      if (info === null) return null;
      return toEntry(resolved.relative, resolved.segments.at(-1) ?? '', info.mode, info);
    });
  }

  async readRange(filePath: string, offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`invalid range offset=${offset} length=${length}`);
    }
    const resolved = resolveSftpFile(filePath);
    return this.run(`cannot read ${resolved.relative}`, async (session) => {
      const info = await this.inspectFile(session, resolved);
      // Sized from the file, not the request, so a generous length never allocates gigabytes.
      const wanted = Math.max(0, Math.min(length, info.size - offset));
      if (wanted === 0) return Buffer.alloc(0);
      const { sftp } = session;
      const handle = await ask<Buffer>((done) => sftp.open(this.remote(resolved), 'r', done));
      try {
        const buffer = Buffer.alloc(wanted);
        let filled = 0;
        while (filled < wanted) {
          const bytesRead = await ask<number>((done) =>
            sftp.read(handle, buffer, filled, wanted - filled, offset + filled, (error, count) =>
              done(error, count),
            ),
          );
          if (bytesRead === 0) break; // truncated since lstat
          filled += bytesRead;
        }
        return buffer.subarray(0, filled);
      } finally {
        await closeQuietly(sftp, handle);
      }
    });
  }

  async openRead(filePath: string): Promise<Readable> {
    const resolved = resolveSftpFile(filePath);
    return this.run(`cannot open ${resolved.relative}`, async (session) => {
      await this.inspectFile(session, resolved);
      const remote = this.remote(resolved);
      const handle = await ask<Buffer>((done) => session.sftp.open(remote, 'r', done));
      // Streams from the handle we opened after the check; autoClose releases it at the end.
      return session.sftp.createReadStream(remote, { handle, autoClose: true });
    });
  }

  async writeFile(filePath: string, content: Buffer | string): Promise<void> {
    const resolved = resolveSftpFile(filePath);
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    await this.run(`cannot write ${resolved.relative}`, async (session) => {
      const { sftp } = session;
      await this.ensureParents(session, resolved);
      const target = this.remote(resolved);
      // A name the intake scanner ignores (leading dot, `.tmp`), so a half-written report is
      // never taken for a customer's upload.
      const name = boundedFileName(
        '.',
        resolved.segments.at(-1) ?? '',
        `.${randomBytes(6).toString('hex')}.tmp`,
      );
      const temp = posix.join(posix.dirname(target), name);
      try {
        // 'wx' (O_CREAT|O_EXCL) creates a new file and never writes through a planted link.
        const handle = await ask<Buffer>((done) => sftp.open(temp, 'wx', done));
        let written = false;
        try {
          if (data.length > 0) {
            await act((done) => sftp.write(handle, data, 0, data.length, 0, done));
          }
          await fsyncIfSupported(sftp, handle);
          written = true;
        } finally {
          const closing = act((done) => sftp.close(handle, done));
          if (written) await closing;
          else await closing.catch(() => undefined);
        }
        // Renaming replaces a link at the target rather than writing through it.
        await replace(sftp, temp, target);
      } catch (error) {
        await act((done) => sftp.unlink(temp, done)).catch(() => undefined);
        throw error;
      }
    });
  }

  async move(from: string, to: string): Promise<void> {
    const source = resolveSftpFile(from);
    const target = resolveSftpFile(to);
    await this.run(`cannot move ${source.relative}`, async (session) => {
      await this.inspectFile(session, source);
      await this.ensureParents(session, target);
      // A link at the target (a customer may plant one) is replaced, never followed.
      await replace(session.sftp, this.remote(source), this.remote(target));
    });
  }

  async remove(filePath: string): Promise<void> {
    const resolved = resolveSftpFile(filePath);
    await this.run(`cannot remove ${resolved.relative}`, async (session) => {
      // The entry itself may be a link (retention purges those too): unlink removes the link.
      const info = await this.inspect(session, resolved);
      if (info === null) return;
      if (modeType(info.mode) === 'directory') {
        throw new StorageError(`${resolved.relative} is a folder`, 'io');
      }
      await orMissing(act((done) => session.sftp.unlink(this.remote(resolved), done)));
    });
  }

  async close(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (!current) return;
    const session = await current.catch(() => null);
    await session?.end();
  }

  /**
   * Runs one operation on the shared connection. A connection that drops (reset, closed by the
   * server, keepalives unanswered) is replaced and the operation tried once more; every step is
   * safe to repeat, and a move whose first attempt landed reports not-found, which callers treat
   * as "already moved".
   */
  private async run<T>(what: string, operation: (session: Session) => Promise<T>): Promise<T> {
    let session = await this.session();
    try {
      return await operation(session);
    } catch (error) {
      if (error instanceof StorageError || !session.isLost(error)) throw toStorageError(error, what);
    }
    this.forget(session);
    session = await this.session();
    try {
      return await operation(session);
    } catch (error) {
      if (session.isLost(error)) this.forget(session);
      throw toStorageError(error, what);
    }
  }

  private async session(): Promise<Session> {
    for (let attempt = 0; ; attempt++) {
      const pending = (this.current ??= this.connect());
      let session: Session;
      try {
        session = await pending;
      } catch (error) {
        // Not cached: the next operation tries again (the server may be back by then).
        if (this.current === pending) this.current = undefined;
        throw error;
      }
      if (!session.lost || attempt > 0) return session;
      this.forget(session);
    }
  }

  private forget(session: Session): void {
    if (this.current === session.promise) this.current = undefined;
    void session.end();
  }

  private connect(): Promise<Session> {
    const promise: Promise<Session> = this.openSession().then((session) => {
      session.promise = promise;
      return session;
    });
    return promise;
  }

  private async openSession(): Promise<Session> {
    const credentials = await this.credentials();
    const { host, port, username } = this.location;
    let session: Session | undefined;
    const markLost = () => {
      if (session) session.lost = true;
    };
    // ssh2-sftp-client logs these events to the console by default; we only need to know.
    const client = new SftpClient('callintake', { error: markLost, end: markLost, close: markLost });
    const expectedHostKey = this.location.hostKeySha256;
    let presentedHostKey = '';
    const config: ConnectConfig = {
      host,
      port,
      username,
      ...credentials,
      hostVerifier: (key: Buffer) => {
        presentedHostKey = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
        return expectedHostKey === undefined || presentedHostKey === expectedHostKey;
      },
      tryKeyboard: false,
      readyTimeout: this.options.readyTimeoutMs ?? 10_000,
      keepaliveInterval: this.options.keepaliveIntervalMs ?? 10_000,
      keepaliveCountMax: this.options.keepaliveCountMax ?? 3,
    };
    try {
      const sftp = await client.connect(config);
      session = new Session(client, sftp, this.root);
      // An 'error' on the channel without a listener would crash the process.
      for (const event of ['close', 'end', 'error']) sftp.on(event, markLost);
      return session;
    } catch (error) {
      await endClient(client);
      if (expectedHostKey && presentedHostKey && presentedHostKey !== expectedHostKey) {
        throw new StorageError(
          `cannot connect to ${this.description}: the server's host key is ${presentedHostKey}, not the configured hostKeySha256 ${expectedHostKey}`,
          'io',
          { cause: error },
        );
      }
      const detail = error instanceof Error ? error.message.replace(/^getConnection: /, '') : String(error);
      throw new StorageError(`cannot connect to ${this.description}: ${detail}`, 'io', { cause: error });
    }
  }

  private async credentials(): Promise<Pick<ConnectConfig, 'password' | 'privateKey' | 'passphrase'>> {
    const { privateKeyFile, passwordEnv, passphraseEnv } = this.location;
    const fromEnv = (name: string, key: string) => {
      const value = this.secrets.env(name);
      if (value === undefined || value === '') {
        throw new StorageError(
          `cannot connect to ${this.description}: environment variable ${name} (${key}) is not set`,
          'io',
        );
      }
      return value;
    };
    if (privateKeyFile) {
      let privateKey: Buffer;
      try {
        privateKey = await this.secrets.readFile(privateKeyFile);
      } catch (error) {
        const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
        throw new StorageError(
          `cannot connect to ${this.description}: cannot read privateKeyFile ${privateKeyFile} (${reason})`,
          'io',
          { cause: error },
        );
      }
      return passphraseEnv
        ? { privateKey, passphrase: fromEnv(passphraseEnv, 'passphraseEnv') }
        : { privateKey };
    }
    if (passwordEnv) return { password: fromEnv(passwordEnv, 'passwordEnv') };
    throw new StorageError(`${this.description}: give privateKeyFile or passwordEnv`, 'io');
  }

  private remote(resolved: SftpPath): string {
    return resolved.segments.length === 0 ? this.root : posix.join(this.root, ...resolved.segments);
  }

  /**
   * lstat()s `resolved` and makes sure no folder between the root and it is a symlink; null when
   * anything on the way is missing. The root itself may be a link: operators put it there.
   */
  private async inspect(session: Session, resolved: SftpPath): Promise<Stats | null> {
    const { sftp } = session;
    const remote = this.remote(resolved);
    if (resolved.segments.length === 0) {
      return orMissing(ask<Stats>((done) => sftp.stat(remote, done)));
    }
    const [info, parentsExist] = await Promise.all([
      orMissing(ask<Stats>((done) => sftp.lstat(remote, done))),
      this.parentsWithoutLinks(session, resolved, resolved.segments.length - 1),
    ]);
    return parentsExist ? info : null;
  }

  /** Like inspect, for the operations that need a regular file and refuse links outright. */
  private async inspectFile(session: Session, resolved: SftpPath): Promise<Stats> {
    const info = await this.inspect(session, resolved);
    if (info === null) throw new StorageError(`${resolved.relative} not found`, 'not-found');
    const type = modeType(info.mode);
    if (type === 'symlink') {
      throw new StorageError(`refusing to follow symlink ${resolved.relative}`, 'outside-root');
    }
    if (type !== 'file') throw new StorageError(`${resolved.relative} is not a regular file`, 'io');
    return info;
  }

  /**
   * True when the first `count` components exist and none is a symlink: the server resolves
   * them (realpath) and the answer must be exactly where they would be without links.
   */
  private async parentsWithoutLinks(session: Session, resolved: SftpPath, count: number): Promise<boolean> {
    if (count === 0) return true;
    const parents = resolved.segments.slice(0, count);
    const [realRoot, realParent] = await Promise.all([
      session.realRoot(),
      orMissing(ask<string>((done) => session.sftp.realpath(posix.join(this.root, ...parents), done))),
    ]);
    if (realRoot === null || realParent === null) return false;
    if (realParent !== posix.join(realRoot, ...parents)) {
      throw new StorageError(`refusing to follow a symlink in ${parents.join('/')}`, 'outside-root');
    }
    return true;
  }

  /**
   * Creates the parent folders of `resolved` one component at a time, checking each existing one,
   * instead of a `mkdir -p` that would happily descend through a planted symlink.
   */
  private async ensureParents(session: Session, resolved: SftpPath): Promise<void> {
    const count = resolved.segments.length - 1;
    if (count === 0) return;
    const { sftp } = session;
    const parents = resolved.segments.slice(0, count);
    // Usually the folder is there already: one round trip says so.
    const [clear, parent] = await Promise.all([
      this.parentsWithoutLinks(session, resolved, count),
      orMissing(ask<Stats>((done) => sftp.lstat(posix.join(this.root, ...parents), done))),
    ]);
    if (clear && parent !== null && modeType(parent.mode) === 'directory') return;
    for (let index = 1; index <= count; index++) {
      const shown = parents.slice(0, index).join('/');
      const folder = posix.join(this.root, ...parents.slice(0, index));
      const created = await act((done) => sftp.mkdir(folder, done)).then(
        () => true,
        (error: unknown) => error,
      );
      if (created === true) continue;
      // Usually "already exists" (SFTP v3 says only FAILURE): look at what is there.
      const info = await orMissing(ask<Stats>((done) => sftp.lstat(folder, done)));
      if (info === null) throw created;
      const type = modeType(info.mode);
      if (type === 'symlink') throw new StorageError(`refusing to follow symlink ${shown}`, 'outside-root');
      if (type !== 'directory') throw new StorageError(`${shown} is not a folder`, 'io');
    }
  }
}

/** One SSH connection and its SFTP channel. */
class Session {
  lost = false;
  promise: Promise<Session> | undefined;
  private resolvedRoot: Promise<string | null> | undefined;

  constructor(
    private readonly client: SftpClient,
    readonly sftp: SFTPWrapper,
    private readonly root: string,
  ) {}

  /**
   * Whether `error` means this connection is gone. The events mark it; ssh2 fails requests cut
   * off by a closed channel without a status code, so an error with no SFTP status on a channel
   * that is no longer open counts too.
   */
  isLost(error: unknown): boolean {
    if (this.lost) return true;
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    if (typeof code === 'number') return false; // an SFTP status: the server answered
    return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_NOT_CONNECTED' || !this.channelOpen();
  }

  /** The root as the server resolves it (links and all); cached for this connection. */
  realRoot(): Promise<string | null> {
    if (this.resolvedRoot) return this.resolvedRoot;
    const resolved = orMissing(ask<string>((done) => this.sftp.realpath(this.root, done)));
    this.resolvedRoot = resolved;
    // A missing root may be created later, and a failure may pass: only a found root is kept.
    const forget = () => {
      if (this.resolvedRoot === resolved) this.resolvedRoot = undefined;
    };
    resolved.then((value) => value === null && forget(), forget);
    return resolved;
  }

  async end(): Promise<void> {
    this.lost = true;
    await endClient(this.client);
  }

  private channelOpen(): boolean {
    const outgoing = (this.sftp as unknown as { outgoing?: { state?: string } }).outgoing;
    return outgoing?.state === undefined || outgoing.state === 'open';
  }
}

/** Ends a client without waiting forever on a peer that no longer answers. */
async function endClient(client: SftpClient): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, 2_000);
    timer.unref();
  });
  try {
    await Promise.race([client.end().catch(() => undefined), gaveUp]);
  } finally {
    clearTimeout(timer);
    // The underlying ssh2 client; destroy() is a no-op once its socket is closed.
    (client as unknown as { client?: { destroy(): void } }).client?.destroy();
  }
}

function resolveSftpPath(relativePath: string): SftpPath {
  const outside = (why: string) =>
    new StorageError(`path ${JSON.stringify(relativePath)} ${why}`, 'outside-root');
  if (typeof relativePath !== 'string') throw outside('is not a string');
  if (relativePath.includes('\0')) throw outside('contains NUL');
  if (relativePath.startsWith('/')) throw outside('is absolute');
  // A `\` is an ordinary name character on an SFTP server (POSIX), so it stays usable.
  const segments = relativePath.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw outside('contains ..');
  return { relative: segments.join('/'), segments };
}

function resolveSftpFile(relativePath: string): SftpPath {
  const resolved = resolveSftpPath(relativePath);
  if (resolved.segments.length === 0) {
    throw new StorageError(`path ${JSON.stringify(relativePath)} names the root, not a file`, 'io');
  }
  return resolved;
}

/** The type from the mode bits, or from the listing's `ls -l` style long name when they are absent. */
function modeType(mode: number | undefined, longname?: string): EntryType {
  if (typeof mode === 'number') {
    switch (mode & S_IFMT) {
      case S_IFREG:
        return 'file';
      case S_IFDIR:
        return 'directory';
      case S_IFLNK:
        return 'symlink';
      default:
        return 'other';
    }
  }
  return LONGNAME_TYPES[longname?.charAt(0) ?? ''] ?? 'other';
}

const LONGNAME_TYPES: Record<string, EntryType> = { '-': 'file', d: 'directory', l: 'symlink' };

function toEntry(
  relative: string,
  name: string,
  mode: number | undefined,
  attrs: { size?: number; mtime?: number },
  longname?: string,
): StoredEntry {
  // SFTP v3 carries whole seconds of mtime: version ids are stable across scans, just coarser.
  return {
    path: relative,
    name,
    type: modeType(mode, longname),
    sizeBytes: attrs.size ?? 0,
    modifiedAt: new Date((attrs.mtime ?? 0) * 1000),
  };
}

/** One READDIR batch; null at the end of the folder. */
function readdirBatch(sftp: SFTPWrapper, handle: Buffer): Promise<FileEntryWithStats[] | null> {
  return new Promise((resolve, reject) => {
    try {
      sftp.readdir(handle, (error, list) => {
        if (!error) resolve(list);
        else if (statusOf(error) === STATUS.EOF) resolve(null);
        else reject(error);
      });
    } catch (error) {
      reject(error);
    }
  });
}

/** Replaces `to` atomically; servers without posix-rename get a remove-then-rename fallback. */
async function replace(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await act((done) => sftp.ext_openssh_rename(from, to, done));
    return;
  } catch (error) {
    // ssh2 throws before sending anything when the server does not offer the extension; any
    // status code means the server did try, and its answer stands.
    if (statusOf(error) !== undefined) throw error;
  }
  try {
    await act((done) => sftp.rename(from, to, done));
  } catch (error) {
    // SFTP v3 rename refuses an existing target.
    if (statusOf(error) === STATUS.NO_SUCH_FILE) throw error;
    await orMissing(act((done) => sftp.unlink(to, done)));
    await act((done) => sftp.rename(from, to, done));
  }
}

async function fsyncIfSupported(sftp: SFTPWrapper, handle: Buffer): Promise<void> {
  try {
    await act((done) => sftp.ext_openssh_fsync(handle, done));
  } catch (error) {
    // Without fsync@openssh.com we cannot ask; the rename still keeps readers from half a file.
    if (statusOf(error) !== undefined) throw error;
  }
}

async function closeQuietly(sftp: SFTPWrapper, handle: Buffer): Promise<void> {
  await act((done) => sftp.close(handle, done)).catch(() => undefined);
}

function ask<T>(issue: (done: (error: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      issue((error, value) => (error ? reject(error) : resolve(value)));
    } catch (error) {
      reject(error);
    }
  });
}

function act(issue: (done: (error?: Error | null) => void) => void): Promise<void> {
  return ask<void>((done) => issue((error) => done(error, undefined)));
}

/** Resolves a missing path (SFTP NO_SUCH_FILE) as null. */
async function orMissing<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (error) {
    if (statusOf(error) === STATUS.NO_SUCH_FILE) return null;
    throw error;
  }
}

function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') {
    return error.code;
  }
  return undefined;
}

function toStorageError(error: unknown, message: string): StorageError {
  if (error instanceof StorageError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  if (statusOf(error) === STATUS.NO_SUCH_FILE) {
    return new StorageError(`${message}: not found`, 'not-found', { cause: error });
  }
  return new StorageError(`${message}: ${detail}`, 'io', { cause: error });
}
