import { createHash } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { v7 as uuidv7 } from 'uuid';
import type { UntypedAuditEventInput } from '@vigil/audit-sdk';

interface Assigned {
  id: string;
  time: number | string;
}

/**
 * What `vigil publish --file` assigned to each line (its event id and time), kept in a file beside the input so a
 * re-run publishes the same ids and times, which the store and the SIEMs deduplicate. A line is known by its
 * content and which occurrence of that content it is, so fixing or adding other lines does not move it.
 */
export class PublishJournal {
  private readonly assigned = new Map<string, Assigned>();
  private readonly seen = new Map<string, number>();
  private unwritten: string[] = [];
  /** Lines whose id and time came from an earlier run. */
  reused = 0;

  private constructor(readonly path: string) {}

  /** Opens the journal at `path`, reading what an earlier run assigned (none when the file does not exist). */
  static async open(path: string): Promise<PublishJournal> {
    const journal = new PublishJournal(path);
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const entry = JSON.parse(line) as { key?: unknown; id?: unknown; time?: unknown };
        if (
          typeof entry.key === 'string' &&
          typeof entry.id === 'string' &&
          (typeof entry.time === 'number' || typeof entry.time === 'string')
        )
          journal.assigned.set(entry.key, { id: entry.id, time: entry.time });
      } catch {
        // A line cut short by a crash: its event was never sent (entries are written before publishing).
      }
    }
    return journal;
  }

  /** The input with the id and time of its line: from an earlier run, else its own, else new ones (to be written). */
  assign(text: string, input: UntypedAuditEventInput, nowMicros: number): UntypedAuditEventInput {
    const hash = createHash('sha256').update(text).digest('base64url');
    const occurrence = (this.seen.get(hash) ?? 0) + 1;
    this.seen.set(hash, occurrence);
    const key = `${hash}:${occurrence}`;
    const earlier = this.assigned.get(key);
    if (earlier !== undefined) {
      this.reused++;
      return { ...input, id: input.id ?? earlier.id, time: input.time ?? earlier.time };
    }
    const now: Assigned = {
      id: input.id ?? uuidv7(),
      time: input.time instanceof Date ? input.time.toISOString() : (input.time ?? nowMicros),
    };
    this.assigned.set(key, now);
    this.unwritten.push(`${JSON.stringify({ key, ...now })}\n`);
    return { ...input, id: now.id, time: now.time };
  }

  /** Writes the new assignments; call before publishing them, so a crash never sends an id the journal lacks. */
  async flush(): Promise<void> {
    if (this.unwritten.length === 0) return;
    const text = this.unwritten.join('');
    this.unwritten = [];
    await appendFile(this.path, text);
  }
}
