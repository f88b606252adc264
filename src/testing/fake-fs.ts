/**
 * In-memory file system for the fake FTP server: absolute POSIX paths, directories implied by
 * files and created by MKD. Listing formatters for LIST (Unix style), NLST and MLSD/MLST.
 */
import { posix } from 'node:path';

export class FakeFs {
  readonly files = new Map<string, Buffer>();
  readonly dirs = new Set<string>(['/']);
  readonly mtimes = new Map<string, Date>();

  constructor(initial: Record<string, string | Buffer> = {}, now = new Date('2024-05-06T07:08:09Z')) {
    for (const [path, content] of Object.entries(initial)) {
      this.writeFile(FakeFs.normalize('/', path), Buffer.from(content), now);
    }
  }

  /** Resolves `arg` against `cwd` into a normalized absolute path ('/' for the root). */
  static normalize(cwd: string, arg: string): string {
    const resolved = posix.resolve(cwd, arg);
    return resolved.length > 1 && resolved.endsWith('/') ? resolved.slice(0, -1) : resolved;
  }

  isDir(path: string): boolean {
    return this.dirs.has(path);
  }

  isFile(path: string): boolean {
    return this.files.has(path);
  }

  writeFile(path: string, data: Buffer, when = new Date()): void {
    let dir = posix.dirname(path);
    while (!this.dirs.has(dir)) {
      this.dirs.add(dir);
      this.mtimes.set(dir, when);
      dir = posix.dirname(dir);
    }
    this.files.set(path, data);
    this.mtimes.set(path, when);
  }

  mkdir(path: string): boolean {
    if (this.dirs.has(path) || this.files.has(path) || !this.dirs.has(posix.dirname(path))) return false;
    this.dirs.add(path);
    this.mtimes.set(path, new Date());
    return true;
  }

  /** Removes an empty directory. */
  rmdir(path: string): boolean {
    if (path === '/' || !this.dirs.has(path) || this.children(path).length > 0) return false;
    this.dirs.delete(path);
    this.mtimes.delete(path);
    return true;
  }

  unlink(path: string): boolean {
    this.mtimes.delete(path);
    return this.files.delete(path);
  }

  rename(from: string, to: string): boolean {
    if (this.files.has(to) || this.dirs.has(to) || !this.dirs.has(posix.dirname(to))) return false;
    const file = this.files.get(from);
    if (file) {
      this.files.delete(from);
      this.files.set(to, file);
      this.mtimes.set(to, this.mtimes.get(from) ?? new Date());
      this.mtimes.delete(from);
      return true;
    }
    if (!this.dirs.has(from) || from === '/' || to.startsWith(`${from}/`)) return false;
    const move = (p: string): string => to + p.slice(from.length);
    for (const d of [...this.dirs]) {
      if (d === from || d.startsWith(`${from}/`)) {
        this.dirs.delete(d);
        this.dirs.add(move(d));
      }
    }
    for (const [p, data] of [...this.files]) {
      if (p.startsWith(`${from}/`)) {
        this.files.delete(p);
        this.files.set(move(p), data);
      }
    }
    for (const [p, t] of [...this.mtimes]) {
      if (p === from || p.startsWith(`${from}/`)) {
        this.mtimes.delete(p);
        this.mtimes.set(move(p), t);
      }
    }
    return true;
  }

  /** Direct children names of a directory, sorted. */
  children(dir: string): string[] {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const names = new Set<string>();
    for (const p of [...this.files.keys(), ...this.dirs]) {
      if (p !== dir && p.startsWith(prefix) && !p.slice(prefix.length).includes('/')) {
        names.add(p.slice(prefix.length));
      }
    }
    return [...names].sort();
  }

  mtime(path: string): Date {
    return this.mtimes.get(path) ?? new Date(0);
  }

  /** `-rw-r--r-- 1 owner group 12 May 06 07:08 name` style line. */
  listLine(path: string): string {
    const dir = this.isDir(path);
    const size = dir ? 4096 : (this.files.get(path)?.length ?? 0);
    const t = this.mtime(path);
    const month = t.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
    const day = String(t.getUTCDate()).padStart(2, '0');
    const hm = `${String(t.getUTCHours()).padStart(2, '0')}:${String(t.getUTCMinutes()).padStart(2, '0')}`;
    const perms = dir ? 'drwxr-xr-x' : '-rw-r--r--';
    return `${perms} 1 owner group ${String(size).padStart(8)} ${month} ${day} ${hm} ${posix.basename(path) || '/'}`;
  }

  /** MLSD/MLST facts: `type=file;size=12;modify=20240506070809; name`. */
  factsLine(path: string, name: string): string {
    const m = this.mtime(path).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const type = this.isDir(path) ? 'dir' : 'file';
    const size = this.isDir(path) ? '' : `size=${this.files.get(path)?.length ?? 0};`;
    return `type=${type};${size}modify=${m}; ${name}`;
  }

  /** MDTM format: YYYYMMDDHHMMSS (UTC). */
  mdtm(path: string): string {
    return this.mtime(path).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  }
}
